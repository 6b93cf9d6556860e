// The JavaScript half of the runtime: console formatting and the Response
// class. Compiled once per process; run lazily, the first time a function
// reads console or Response. It receives emit, the Go sink for console
// lines, as an argument so that nothing of the host is ever a global.
// Allocation guards are not here but in guards.go, out of user code's reach.
(function (emit) {
  "use strict";
  const stringify = JSON.stringify;
  const parse = JSON.parse;

  // console formats in JS (JSON for objects) and hands lines to Go, which
  // timestamps, caps and masks them.
  const format = (args) => {
    let out = "";
    for (let i = 0; i < args.length; i++) {
      const v = args[i];
      let s;
      if (typeof v === "string") s = v;
      else if (v instanceof Error) s = v.stack || String(v);
      else if (typeof v === "function") s = `[Function: ${v.name || "anonymous"}]`;
      else if (typeof v === "bigint") s = `${v}n`;
      else if (typeof v === "symbol" || v === undefined) s = String(v);
      else {
        try { s = stringify(v); } catch (e) { s = String(v); }
        if (s === undefined) s = String(v);
      }
      out += (i ? " " : "") + s;
      if (out.length > 16384) break; // Go truncates further; stop formatting early
    }
    return out;
  };
  const makeConsole = () => {
    const c = {};
    for (const level of ["log", "info", "warn", "error", "debug"]) {
      c[level] = function (...args) { emit(level === "log" ? "info" : level, format(args)); };
    }
    return c;
  };

  // Response: the fetch-standard subset a function returns to control status,
  // headers and body. Private fields make a forged object plain data.
  const makeResponse = () => class Response {
    #status; #headers; #body;
    constructor(body = null, init = {}) {
      const status = init == null || init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError(`Response status must be an integer from 200 to 599, got ${init.status}`);
      }
      const headers = {};
      const given = init == null ? undefined : init.headers;
      if (Array.isArray(given)) {
        for (const pair of given) headers[String(pair[0]).toLowerCase()] = String(pair[1]);
      } else if (given != null) {
        for (const k of Object.keys(given)) headers[k.toLowerCase()] = String(given[k]);
      }
      if (body === undefined || body === null) body = "";
      else if (typeof body === "string") {
        if (!("content-type" in headers)) headers["content-type"] = "text/plain;charset=UTF-8";
      } else if (body instanceof ArrayBuffer) {
        body = body.slice(0);
      } else if (ArrayBuffer.isView(body)) {
        body = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
      } else {
        throw new TypeError("Response body must be a string, ArrayBuffer, typed array or null; use Response.json(data) for JSON");
      }
      this.#status = status;
      this.#headers = headers;
      this.#body = body;
    }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status < 300; }
    get headers() { return Object.assign({}, this.#headers); }
    text() {
      const b = this.#body;
      if (typeof b === "string") return Promise.resolve(b);
      // Bytes as Latin-1, in chunks: one spread of a large body would be one huge argument list.
      const bytes = new Uint8Array(b);
      let s = "";
      for (let i = 0; i < bytes.length; i += 8192) s += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
      return Promise.resolve(s);
    }
    json() { return this.text().then(parse); }
    static json(data, init = {}) {
      const body = stringify(data);
      if (body === undefined) throw new TypeError("Response.json: value is not JSON-serializable");
      const headers = Object.assign({ "content-type": "application/json" }, init && init.headers);
      return new Response(body, Object.assign({}, init, { headers }));
    }
    static unwrap(v) {
      return v !== null && typeof v === "object" && #status in v ? [v.#status, v.#headers, v.#body] : null;
    }
  };

  return { makeConsole, makeResponse };
})
