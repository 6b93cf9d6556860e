// Response: the fetch standard's class. A function returns one to control
// status, headers and body, and fetch resolves to one. Private fields make
// a forged object plain data: only a real Response is sent as a response.
(function (host, lib) {
  "use strict";
  const { Headers, TextDecoder, TextEncoder } = lib("web");
  const stringify = JSON.stringify;
  const parse = JSON.parse;

  // bodyOf takes what a Response or a request may carry, as a string or
  // bytes (an ArrayBuffer of its own), setting the content type that goes
  // with text; null for no body.
  const bodyOf = (b, headers, what) => {
    if (b === undefined || b === null) return null;
    if (typeof b === "string") {
      if (!headers.has("content-type")) headers.set("content-type", "text/plain;charset=UTF-8");
      return b;
    }
    if (b instanceof lib("formdata").FormData) {
      const { body, type } = lib("formdata").encode(b);
      headers.set("content-type", type); // the boundary is this body's
      return body;
    }
    const blob = lib("blob").blobBytes(b);
    if (blob !== null) {
      if (!headers.has("content-type") && b.type !== "") headers.set("content-type", b.type);
      return blob.buffer;
    }
    if (b instanceof ArrayBuffer) return b.slice(0);
    if (ArrayBuffer.isView(b)) return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    if (typeof URLSearchParams === "function" && b instanceof URLSearchParams) {
      if (!headers.has("content-type")) headers.set("content-type", "application/x-www-form-urlencoded;charset=UTF-8");
      return String(b);
    }
    throw new TypeError(`${what} must be a string, ArrayBuffer, typed array, Blob, FormData, URLSearchParams or null; for JSON, use Response.json(data) or JSON.stringify(data)`);
  };

  let unwrap, fetched;
  class Response {
    #status; #statusText; #headers; #body; #used = false; #url = ""; #redirected = false;
    constructor(b = null, init = {}) {
      const status = init == null || init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError(`Response status must be an integer from 200 to 599, got ${init.status}`);
      }
      this.#status = status;
      this.#statusText = init == null || init.statusText === undefined ? "" : String(init.statusText);
      this.#headers = new Headers(init == null ? undefined : init.headers);
      this.#body = bodyOf(b, this.#headers, "Response body") ?? "";
    }
    get status() { return this.#status; }
    get statusText() { return this.#statusText; }
    get ok() { return this.#status >= 200 && this.#status < 300; }
    get headers() { return this.#headers; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get type() { return this.#url ? "basic" : "default"; }
    get bodyUsed() { return this.#used; }
    #take() {
      if (this.#used) return Promise.reject(new TypeError("Body has already been read"));
      this.#used = true;
      return Promise.resolve(this.#body);
    }
    arrayBuffer() {
      return this.#take().then((b) => (typeof b === "string" ? new TextEncoder().encode(b).buffer : b.slice(0)));
    }
    bytes() { return this.arrayBuffer().then((b) => new Uint8Array(b)); }
    blob() {
      const type = this.#headers.get("content-type");
      return this.arrayBuffer().then((b) => new (lib("blob").Blob)([b], { type: type === null ? "" : type }));
    }
    formData() { return this.arrayBuffer().then((b) => lib("formdata").decode(b, this.#headers.get("content-type"))); }
    text() { return this.#take().then((b) => (typeof b === "string" ? b : new TextDecoder().decode(b))); }
    json() { return this.text().then(parse); }
    clone() {
      if (this.#used) throw new TypeError("Response.clone: the body has already been read");
      const c = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
      c.#body = this.#body;
      c.#url = this.#url;
      c.#redirected = this.#redirected;
      return c;
    }
    get [Symbol.toStringTag]() { return "Response"; }
    static json(data, init = {}) {
      const b = stringify(data);
      if (b === undefined) throw new TypeError("Response.json: value is not JSON-serializable");
      const headers = new Headers(init && init.headers);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      return new Response(b, Object.assign({}, init, { headers }));
    }
    static redirect(url, status = 302) {
      if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
      return new Response(null, { status, headers: { location: String(url) } });
    }
    static {
      // [status, headers as an object, body] of a real Response, for Go;
      // null otherwise. Several Set-Cookie values are joined with "\n",
      // which no header value can hold, for Go to send one line each.
      unwrap = (v) => {
        if (v === null || typeof v !== "object" || !(#status in v)) return null;
        const h = {};
        for (const [k, val] of v.#headers) h[k] = k in h ? h[k] + (k === "set-cookie" ? "\n" : ", ") + val : val;
        return [v.#status, h, v.#body];
      };
      // A Response for what fetch received: any status, and where it came from.
      fetched = (p) => {
        const r = new Response(null);
        r.#status = p.status;
        r.#statusText = p.statusText;
        r.#headers = new Headers(p.headers);
        r.#body = p.body;
        r.#url = p.url;
        r.#redirected = p.redirected;
        return r;
      };
    }
  }
  return { Response, unwrap, fetched, bodyOf };
})
