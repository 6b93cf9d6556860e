// The web platform's small classes, as Workers and Node have them:
// DOMException, Headers, AbortController and AbortSignal, TextEncoder and
// TextDecoder, atob and btoa. Encoding is done in Go (host).
(function (host) {
  "use strict";

  const codes = {
    IndexSizeError: 1, NotFoundError: 8, NotSupportedError: 9, InvalidCharacterError: 5, InvalidStateError: 11,
    SyntaxError: 12, NetworkError: 19, AbortError: 20, QuotaExceededError: 22, TimeoutError: 23, DataCloneError: 25,
  };
  class DOMException extends Error {
    constructor(message = "", name = "Error") {
      super(message);
      Object.defineProperty(this, "name", { value: String(name), writable: true, configurable: true });
      Object.defineProperty(this, "code", { value: codes[name] || 0, writable: true, configurable: true });
    }
  }

  // Headers: names are case-insensitive, kept lower-case, and iterated in
  // sorted order with repeated values joined, as the fetch standard says.
  const tokenRE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const badValueRE = /[\0\r\n]/;
  const trimRE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
  const headerName = (n) => {
    const s = String(n);
    if (!tokenRE.test(s)) throw new TypeError(`Headers: invalid header name ${JSON.stringify(s)}`);
    return s.toLowerCase();
  };
  const headerValue = (v) => {
    const s = String(v).replace(trimRE, "");
    if (badValueRE.test(s)) throw new TypeError(`Headers: invalid header value ${JSON.stringify(s)}`);
    return s;
  };
  class Headers {
    #map = new Map(); // lower-case name → array of values
    constructor(init) {
      if (init == null) return;
      if (typeof init !== "object") throw new TypeError("Headers: init must be an object, an array of pairs, or Headers");
      if (init instanceof Headers) {
        for (const [k, v] of init.#map) this.#map.set(k, v.slice());
      } else if (typeof init[Symbol.iterator] === "function") {
        for (const pair of init) {
          const p = Array.from(pair);
          if (p.length !== 2) throw new TypeError("Headers: each pair must have a name and a value");
          this.append(p[0], p[1]);
        }
      } else {
        for (const k of Object.keys(init)) this.append(k, init[k]);
      }
    }
    append(name, value) {
      const k = headerName(name), v = headerValue(value);
      const list = this.#map.get(k);
      if (list) list.push(v); else this.#map.set(k, [v]);
    }
    set(name, value) { this.#map.set(headerName(name), [headerValue(value)]); }
    delete(name) { this.#map.delete(headerName(name)); }
    has(name) { return this.#map.has(headerName(name)); }
    get(name) {
      const list = this.#map.get(headerName(name));
      return list ? list.join(", ") : null;
    }
    getSetCookie() { return (this.#map.get("set-cookie") || []).slice(); }
    *entries() {
      for (const k of [...this.#map.keys()].sort()) {
        if (k === "set-cookie") for (const v of this.#map.get(k)) yield [k, v];
        else yield [k, this.#map.get(k).join(", ")];
      }
    }
    *keys() { for (const [k] of this.entries()) yield k; }
    *values() { for (const [, v] of this.entries()) yield v; }
    forEach(fn, thisArg) { for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this); }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return "Headers"; }
  }

  // AbortSignal: created by AbortController, AbortSignal.abort/timeout/any.
  const secret = Symbol("AbortSignal");
  let signalAbort; // (signal, reason): set below, inside the class
  class AbortSignal {
    #aborted = false;
    #reason = undefined;
    #listeners = [];
    onabort = null;
    constructor(key) {
      if (key !== secret) throw new TypeError("AbortSignal cannot be constructed directly; use new AbortController().signal");
    }
    get aborted() { return this.#aborted; }
    get reason() { return this.#reason; }
    throwIfAborted() { if (this.#aborted) throw this.#reason; }
    addEventListener(type, fn, options) {
      if (type !== "abort" || (typeof fn !== "function" && !(fn && typeof fn.handleEvent === "function"))) return;
      if (this.#listeners.some((l) => l.fn === fn)) return;
      this.#listeners.push({ fn, once: !!(options && options.once) });
    }
    removeEventListener(type, fn) {
      if (type === "abort") this.#listeners = this.#listeners.filter((l) => l.fn !== fn);
    }
    get [Symbol.toStringTag]() { return "AbortSignal"; }
    static {
      signalAbort = (s, reason) => {
        if (s.#aborted) return;
        s.#aborted = true;
        s.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
        const event = { type: "abort", target: s, currentTarget: s };
        const listeners = s.#listeners;
        s.#listeners = listeners.filter((l) => !l.once);
        // A throwing listener must not stop the others or the abort itself.
        const call = (f, self) => { try { f.call(self, event); } catch (e) { /* as an event dispatch does */ } };
        if (typeof s.onabort === "function") call(s.onabort, s);
        for (const l of listeners) {
          if (typeof l.fn === "function") call(l.fn, s); else call(l.fn.handleEvent, l.fn);
        }
      };
    }
    static abort(reason) {
      const s = new AbortSignal(secret);
      signalAbort(s, reason);
      return s;
    }
    static timeout(ms) {
      const s = new AbortSignal(secret);
      setTimeout(() => signalAbort(s, new DOMException("The operation was aborted due to timeout", "TimeoutError")), Number(ms));
      return s;
    }
    static any(signals) {
      const s = new AbortSignal(secret);
      for (const other of signals) {
        if (!(other instanceof AbortSignal)) throw new TypeError("AbortSignal.any needs AbortSignals");
        if (other.aborted) { signalAbort(s, other.reason); break; }
        other.addEventListener("abort", () => signalAbort(s, other.reason), { once: true });
      }
      return s;
    }
  }
  class AbortController {
    #signal = new AbortSignal(secret);
    get signal() { return this.#signal; }
    abort(reason) { signalAbort(this.#signal, reason); }
    get [Symbol.toStringTag]() { return "AbortController"; }
  }

  // The views of binary data functions pass around, as one Uint8Array over the same bytes.
  const bytesOf = (v, what) => {
    if (v instanceof ArrayBuffer) return new Uint8Array(v);
    if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
    throw new TypeError(`${what} must be an ArrayBuffer, a typed array or a DataView`);
  };

  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(input = "") { return new Uint8Array(host.encode(String(input), "utf8")); }
    encodeInto(input, dest) {
      if (!(dest instanceof Uint8Array)) throw new TypeError("TextEncoder.encodeInto: the destination must be a Uint8Array");
      const [read, written] = host.encodeInto(String(input), dest);
      return { read, written };
    }
  }

  const decoderLabels = {
    "utf-8": "utf-8", "utf8": "utf-8", "unicode-1-1-utf-8": "utf-8",
    "utf-16le": "utf-16le", "utf-16": "utf-16le",
    "latin1": "windows-1252", "iso-8859-1": "windows-1252", "ascii": "windows-1252", "us-ascii": "windows-1252", "windows-1252": "windows-1252",
  };
  class TextDecoder {
    #encoding; #fatal; #ignoreBOM; #pending = null; #started = false;
    constructor(label = "utf-8", options = {}) {
      const enc = decoderLabels[String(label).trim().toLowerCase()];
      if (!enc) throw new RangeError(`TextDecoder: the encoding "${label}" is not supported (supported: utf-8, utf-16le, windows-1252)`);
      this.#encoding = enc;
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return this.#encoding; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(input, options) {
      const stream = !!(options && options.stream);
      let bytes = input === undefined ? new Uint8Array(0) : bytesOf(input, "TextDecoder.decode: the input");
      if (this.#pending) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      const stripBOM = !this.#ignoreBOM && !this.#started;
      const [text, used] = host.decode(bytes, this.#encoding, this.#fatal, stripBOM, stream);
      if (text === null) throw new TypeError(`TextDecoder: the input is not valid ${this.#encoding}`);
      if (used < bytes.length) this.#pending = bytes.slice(used);
      this.#started = stream;
      return text;
    }
  }

  function atob(s) {
    if (arguments.length === 0) throw new TypeError("atob needs an argument");
    const out = host.atob(String(s));
    if (out === null) throw new DOMException("The string to be decoded is not correctly encoded.", "InvalidCharacterError");
    return out;
  }
  function btoa(s) {
    if (arguments.length === 0) throw new TypeError("btoa needs an argument");
    const out = host.btoa(String(s));
    if (out === null) throw new DOMException("The string to be encoded contains characters outside of the Latin1 range.", "InvalidCharacterError");
    return out;
  }

  return { DOMException, Headers, AbortController, AbortSignal, TextEncoder, TextDecoder, atob, btoa, bytesOf };
})
