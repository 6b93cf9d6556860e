// Buffer: Node's byte array, a Uint8Array with encodings (utf8, hex,
// base64, base64url, latin1, ascii, utf16le) done in Go. Like every typed
// array it is bounded by the run's memory guard.
(function (host) {
  "use strict";
  const names = {
    utf8: "utf8", "utf-8": "utf8", hex: "hex", base64: "base64", base64url: "base64url",
    latin1: "latin1", binary: "latin1", ascii: "ascii", utf16le: "utf16le", "utf-16le": "utf16le", ucs2: "utf16le", "ucs-2": "utf16le",
  };
  const encoding = (e) => {
    if (e === undefined || e === null) return "utf8";
    const n = names[String(e).toLowerCase()];
    if (!n) throw new TypeError(`Unknown encoding: ${e}`);
    return n;
  };
  const int = (v, dflt) => (v === undefined ? dflt : Math.trunc(Number(v)) || 0);
  const clamp = (v, len, dflt) => {
    let n = int(v, dflt);
    if (n < 0) n = Math.max(len + n, 0);
    return Math.min(n, len);
  };
  const size = (n, what) => {
    if (typeof n !== "number" || !(n >= 0) || n > 2 ** 32) {
      throw new RangeError(`${what}: the size must be a number from 0 to 4294967296, got ${String(n)}`);
    }
    return n;
  };

  class Buffer extends Uint8Array {
    static from(value, encOrOffset, length) {
      if (typeof value === "string") return new Buffer(host.encode(value, encoding(encOrOffset)));
      if (value instanceof ArrayBuffer) {
        const off = int(encOrOffset, 0);
        return new Buffer(value, off, length === undefined ? value.byteLength - off : int(length, 0));
      }
      if (ArrayBuffer.isView(value)) {
        if (value instanceof DataView) return Buffer.from(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
        const b = new Buffer(value.length);
        b.set(value); // element by element, each to a byte, as Node does
        return b;
      }
      if (value !== null && typeof value === "object") {
        if (value.type === "Buffer" && Array.isArray(value.data)) return Buffer.from(value.data);
        if (Array.isArray(value) || typeof value.length === "number") {
          const b = new Buffer(size(value.length, "Buffer.from"));
          for (let i = 0; i < b.length; i++) b[i] = value[i] & 255;
          return b;
        }
      }
      throw new TypeError("Buffer.from needs a string, Buffer, ArrayBuffer, typed array, array or array-like object");
    }
    static alloc(n, fill, enc) {
      const b = new Buffer(size(n, "Buffer.alloc"));
      if (fill !== undefined && fill !== 0) b.fill(fill, 0, b.length, enc);
      return b;
    }
    static allocUnsafe(n) { return new Buffer(size(n, "Buffer.allocUnsafe")); }
    static allocUnsafeSlow(n) { return new Buffer(size(n, "Buffer.allocUnsafeSlow")); }
    static byteLength(v, enc) {
      if (typeof v === "string") return host.byteLength(v, encoding(enc));
      if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) return v.byteLength;
      throw new TypeError("Buffer.byteLength needs a string, Buffer, ArrayBuffer or typed array");
    }
    static isBuffer(v) { return v instanceof Buffer; }
    static isEncoding(e) { return typeof e === "string" && String(e).toLowerCase() in names; }
    static concat(list, total) {
      if (!Array.isArray(list)) throw new TypeError("Buffer.concat needs an array of Buffers or Uint8Arrays");
      for (const b of list) if (!(b instanceof Uint8Array)) throw new TypeError("Buffer.concat: every item must be a Buffer or Uint8Array");
      if (total === undefined) total = list.reduce((n, b) => n + b.length, 0);
      const out = Buffer.alloc(total);
      let at = 0;
      for (const b of list) {
        if (at >= out.length) break;
        out.set(b.length > out.length - at ? b.subarray(0, out.length - at) : b, at);
        at += b.length;
      }
      return out;
    }
    static compare(a, b) {
      if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array)) throw new TypeError("Buffer.compare needs two Buffers or Uint8Arrays");
      const n = Math.min(a.length, b.length);
      for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
      return a.length === b.length ? 0 : a.length < b.length ? -1 : 1;
    }

    toString(enc, start, end) {
      const s = clamp(start, this.length, 0), e = clamp(end, this.length, this.length);
      return host.decode(new Uint8Array(this.buffer, this.byteOffset + s, Math.max(e - s, 0)), encoding(enc));
    }
    toJSON() { return { type: "Buffer", data: Array.from(this) }; }
    equals(other) { return Buffer.compare(this, other) === 0; }
    compare(other) { return Buffer.compare(this, other); }
    // slice is a view, not a copy, in Node (unlike Uint8Array's).
    slice(start, end) { return this.subarray(start, end); }
    write(string, offset, length, enc) {
      if (typeof offset === "string") [enc, offset, length] = [offset, 0, undefined];
      else if (typeof length === "string") [enc, length] = [length, undefined];
      const at = clamp(offset, this.length, 0);
      const bytes = new Uint8Array(host.encode(String(string), encoding(enc)));
      const n = Math.min(bytes.length, this.length - at, length === undefined ? Infinity : int(length, 0));
      this.set(bytes.subarray(0, n), at);
      return n;
    }
    fill(value, offset, end, enc) {
      if (typeof offset === "string") [enc, offset, end] = [offset, 0, this.length];
      const s = clamp(offset, this.length, 0), e = clamp(end, this.length, this.length);
      if (typeof value !== "string" && !(value instanceof Uint8Array)) return super.fill(Number(value) & 255, s, e);
      const bytes = typeof value === "string" ? new Uint8Array(host.encode(value, encoding(enc))) : value;
      if (bytes.length === 0) return super.fill(0, s, e);
      for (let i = s; i < e; i += bytes.length) this.set(bytes.subarray(0, Math.min(bytes.length, e - i)), i);
      return this;
    }
    copy(target, targetStart, sourceStart, sourceEnd) {
      const t = clamp(targetStart, target.length, 0);
      const s = clamp(sourceStart, this.length, 0), e = clamp(sourceEnd, this.length, this.length);
      const n = Math.max(Math.min(e - s, target.length - t), 0);
      target.set(this.subarray(s, s + n), t);
      return n;
    }
    indexOf(value, from, enc) {
      const needle = typeof value === "number" ? null : typeof value === "string" ? Buffer.from(value, enc) : value;
      let i = clamp(from, this.length, 0);
      if (needle === null) return super.indexOf(value & 255, i);
      if (needle.length === 0) return i;
      for (; i + needle.length <= this.length; i++) {
        let j = 0;
        while (j < needle.length && this[i + j] === needle[j]) j++;
        if (j === needle.length) return i;
      }
      return -1;
    }
    includes(value, from, enc) { return this.indexOf(value, from, enc) !== -1; }
    get [Symbol.toStringTag]() { return "Uint8Array"; }
  }

  // read/write of numbers, through a DataView over the same bytes.
  const view = (b) => new DataView(b.buffer, b.byteOffset, b.byteLength);
  const kinds = [
    ["UInt8", "Uint8", 1], ["Int8", "Int8", 1], ["UInt16", "Uint16", 2], ["Int16", "Int16", 2],
    ["UInt32", "Uint32", 4], ["Int32", "Int32", 4], ["Float", "Float32", 4], ["Double", "Float64", 8],
    ["BigUInt64", "BigUint64", 8], ["BigInt64", "BigInt64", 8],
  ];
  const check = (b, at, n) => {
    if (!Number.isInteger(at) || at < 0 || at + n > b.length) {
      throw new RangeError(`The value of "offset" is out of range. It must be >= 0 and <= ${b.length - n}. Received ${at}`);
    }
  };
  for (const [name, dv, n] of kinds) {
    for (const [suffix, little] of n === 1 ? [["", false]] : [["LE", true], ["BE", false]]) {
      const read = function (at = 0) { check(this, at, n); return view(this)["get" + dv](at, little); };
      const write = function (value, at = 0) { check(this, at, n); view(this)["set" + dv](at, value, little); return at + n; };
      for (const alias of new Set([name, name.replace("UInt", "Uint")])) {
        Object.defineProperty(Buffer.prototype, "read" + alias + suffix, { value: read, writable: true, configurable: true });
        Object.defineProperty(Buffer.prototype, "write" + alias + suffix, { value: write, writable: true, configurable: true });
      }
    }
  }

  return { Buffer };
})
