// Response: the fetch standard's class. A function returns one to control
// status, headers and body, and fetch resolves to one. Private fields make
// a forged object plain data: only a real Response is sent as a response.
(function (host, lib) {
  "use strict";
  const { Headers, TextDecoder, TextEncoder } = lib("web");
  const stringify = JSON.stringify;
  const parse = JSON.parse;

  // bodyOf takes what a Response or a request may carry, as a string or
  // bytes (an ArrayBuffer of its own) or a ReadableStream, setting the
  // content type that goes with text; null for no body.
  const bodyOf = (b, headers, what) => {
    if (b === undefined || b === null) return null;
    if (isStream(b)) {
      if (b.locked || lib("streams").disturbed(b)) throw new TypeError(`${what}: the stream is locked or has been read`);
      return b;
    }
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

  const nullBodyStatus = [101, 204, 205, 304]; // the fetch standard's: they carry no body

  // No stream exists until the streams library has run: most bodies never load it.
  const isStream = (b) => b !== null && typeof b === "object" && lib.loaded("streams") && lib("streams").isStream(b);
  const bytesOf = (b) => (typeof b === "string" ? new TextEncoder().encode(b) : new Uint8Array(b.slice(0)));

  // Body is the body of a Response or a Request, as the fetch standard has
  // it: kept as given (a string, bytes or a stream) and made a stream only
  // when its stream is asked for. Reading it, one way or the other, uses it.
  class Body {
    #body; #used = false; #what;
    constructor(body, what) { this.#body = body; this.#what = what; }
    get stream() {
      if (this.#body !== null && !isStream(this.#body)) {
        const b = this.#body;
        this.#body = lib("streams").fromBytes(bytesOf(b));
        if (this.#used) this.#body.getReader().read(); // its content was taken: the stream shows it
      }
      return this.#body;
    }
    get used() { return this.#used || (isStream(this.#body) && lib("streams").disturbed(this.#body)); }
    // take resolves to the whole body: a string, bytes (ArrayBuffer or
    // Uint8Array) or null.
    take() {
      if (this.used) return Promise.reject(new TypeError(`${this.#what}: Body is unusable: Body has already been read`));
      const b = this.#body;
      if (isStream(b)) {
        if (b.locked) return Promise.reject(new TypeError(`${this.#what}: the body's stream is locked by a reader`));
        return lib("streams").collect(b, undefined, this.#what);
      }
      if (b !== null) this.#used = true;
      return Promise.resolve(b);
    }
    text() { return this.take().then((b) => (b === null ? "" : typeof b === "string" ? b : new TextDecoder().decode(b))); }
    arrayBuffer() {
      return this.take().then((b) => (b === null ? new ArrayBuffer(0) : typeof b === "string" ? new TextEncoder().encode(b).buffer
        : b instanceof ArrayBuffer ? b.slice(0) : b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer));
    }
    // clone: a second Body of the same content; a stream is teed, and this
    // one keeps the first branch.
    clone() {
      if (this.used) throw new TypeError(`${this.#what}.clone: the body has already been read`);
      if (!isStream(this.#body)) return new Body(this.#body, this.#what);
      if (this.#body.locked) throw new TypeError(`${this.#what}.clone: the body's stream is locked by a reader`);
      const [a, b] = this.#body.tee();
      this.#body = a;
      return new Body(b, this.#what);
    }
    // raw: the body as it is, for Go and fetch (a stream is not read).
    get raw() { return this.#body; }
  }

  let unwrap, fetched;
  class Response {
    #status; #statusText; #headers; #body; #url = ""; #redirected = false;
    constructor(b = null, init = {}) {
      const status = init == null || init.status === undefined ? 200 : Number(init.status);
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError(`Response status must be an integer from 200 to 599, got ${init.status}`);
      }
      this.#status = status;
      this.#statusText = init == null || init.statusText === undefined ? "" : String(init.statusText);
      this.#headers = new Headers(init == null ? undefined : init.headers);
      const body = bodyOf(b, this.#headers, "Response body");
      if (body !== null && nullBodyStatus.includes(status)) throw new TypeError(`Response with status ${status} cannot have a body`);
      this.#body = new Body(body, "Response");
    }
    get status() { return this.#status; }
    get statusText() { return this.#statusText; }
    get ok() { return this.#status >= 200 && this.#status < 300; }
    get headers() { return this.#headers; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get type() { return this.#url ? "basic" : "default"; }
    get body() { return this.#body.stream; }
    get bodyUsed() { return this.#body.used; }
    arrayBuffer() { return this.#body.arrayBuffer(); }
    bytes() { return this.arrayBuffer().then((b) => new Uint8Array(b)); }
    blob() {
      const type = this.#headers.get("content-type");
      return this.arrayBuffer().then((b) => new (lib("blob").Blob)([b], { type: type === null ? "" : type }));
    }
    formData() { return this.arrayBuffer().then((b) => lib("formdata").decode(b, this.#headers.get("content-type"))); }
    text() { return this.#body.text(); }
    json() { return this.text().then(parse); }
    clone() {
      const c = new Response(null, { status: this.#status, statusText: this.#statusText, headers: this.#headers });
      c.#body = this.#body.clone();
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
        return [v.#status, h, v.#body.raw];
      };
      // A Response for what fetch received: any status, and where it came from.
      fetched = (p) => {
        const r = new Response(null);
        r.#status = p.status;
        r.#statusText = p.statusText;
        r.#headers = new Headers(p.headers);
        // A null body status, or a HEAD request's answer, has no body.
        r.#body = new Body(nullBodyStatus.includes(p.status) || p.head ? null : p.body, "Response");
        r.#url = p.url;
        r.#redirected = p.redirected;
        return r;
      };
    }
  }
  return { Response, unwrap, fetched, bodyOf, Body };
})
