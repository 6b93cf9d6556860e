// fetch and the http module. The request is made in Go (host.fetch), which
// checks every address it dials (no loopback, private, link-local or
// metadata addresses), caps the response size and the redirects, and ends
// with the run. This side shapes requests and responses.
(function (host, lib) {
  "use strict";
  const { Headers, DOMException } = lib("web");
  const { fetched, bodyOf, Body } = lib("response");
  const { URL } = lib("url");
  // A request's URL is parsed as the URL Standard says, at construction,
  // and kept serialized: what url shows is what fetch sends (and what the
  // address guard sees dialled).
  const parseURL = (input) => {
    try { return new URL(input).href; } catch (e) { throw new TypeError(`fetch: ${stringify(String(input))} is not a valid URL`); }
  };
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const methodRE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

  // Request: a request to pass to fetch, as the fetch standard has it.
  // Its body is kept as given: a string, an ArrayBuffer or a stream, which
  // fetch reads whole before it sends the request.
  const known = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  let partsOf;
  class Request {
    #url; #method; #headers; #body; #redirect; #signal; #timeout;
    constructor(input, init) {
      init = init == null ? {} : init;
      const from = input instanceof Request ? input : null;
      this.#url = from ? from.#url : parseURL(typeof input === "object" && input !== null && typeof input.url === "string" ? input.url : String(input));
      const method = init.method !== undefined ? String(init.method) : from ? from.#method : "GET";
      if (!methodRE.test(method)) throw new TypeError(`fetch: ${stringify(method)} is not a valid method`);
      this.#method = known.includes(method.toUpperCase()) ? method.toUpperCase() : method;
      this.#headers = new Headers(init.headers !== undefined ? init.headers : from ? from.#headers : undefined);
      const body = init.body !== undefined ? bodyOf(init.body, this.#headers, "fetch: the body") : null;
      if (typeof body === "object" && body !== null && !(body instanceof ArrayBuffer) && init.duplex !== "half") {
        throw new TypeError(`fetch: a stream body needs the duplex: "half" option`); // as the fetch standard asks
      }
      this.#body = init.body !== undefined ? new Body(body, "Request") : from ? from.#body.clone() : new Body(null, "Request");
      if (this.#body.raw !== null && (this.#method === "GET" || this.#method === "HEAD")) throw new TypeError(`fetch: a ${this.#method} request cannot have a body`);
      this.#redirect = init.redirect !== undefined ? String(init.redirect) : from ? from.#redirect : "follow";
      if (!["follow", "manual", "error"].includes(this.#redirect)) throw new TypeError(`fetch: redirect must be "follow", "manual" or "error", got ${stringify(this.#redirect)}`);
      this.#signal = init.signal != null ? init.signal : from ? from.#signal : null;
      this.#timeout = 0; // ms; 0 = until the run's own time limit
      if (init.timeout !== undefined) {
        this.#timeout = Number(init.timeout);
        if (!(this.#timeout > 0)) throw new TypeError("fetch: timeout is a number of milliseconds, more than 0");
      } else if (from) this.#timeout = from.#timeout;
    }
    get url() { return this.#url; }
    get method() { return this.#method; }
    get headers() { return this.#headers; }
    get redirect() { return this.#redirect; }
    get signal() { return this.#signal; }
    clone() { return new Request(this); }
    get body() { return this.#body.stream; }
    get bodyUsed() { return this.#body.used; }
    get duplex() { return "half"; }
    text() { return this.#body.text(); }
    json() { return this.text().then(parse); }
    arrayBuffer() { return this.#body.arrayBuffer(); }
    bytes() { return this.arrayBuffer().then((b) => new Uint8Array(b)); }
    blob() { const type = this.#headers.get("content-type"); return this.arrayBuffer().then((b) => new (lib("blob").Blob)([b], { type: type === null ? "" : type })); }
    formData() { return this.arrayBuffer().then((b) => lib("formdata").decode(b, this.#headers.get("content-type"))); }
    get [Symbol.toStringTag]() { return "Request"; }
    static {
      // A stream body is read here, within the run's memory budget.
      partsOf = (r) => {
        const parts = { url: r.#url, method: r.#method, headers: [...r.#headers], body: r.#body.raw, redirect: r.#redirect, timeout: r.#timeout, signal: r.#signal };
        if (parts.body === null || typeof parts.body === "string" || parts.body instanceof ArrayBuffer) return parts;
        return r.#body.arrayBuffer().then((b) => { parts.body = b; return parts; });
      };
    }
  }

  function fetch(input, init) {
    let parts;
    try { parts = partsOf(new Request(input, init)); } catch (e) { return Promise.reject(e); }
    return Promise.resolve(parts).then((req) => new Promise((resolve, reject) => {
      const signal = req.signal;
      if (signal !== null && signal.aborted) throw signal.reason;

      let onAbort = null;
      const id = host.fetch(req, (err, res) => {
        if (onAbort) signal.removeEventListener("abort", onAbort);
        if (err === null) {
          res.head = req.method === "HEAD";
          return resolve(fetched(res));
        }
        if (signal !== null && signal.aborted) return reject(signal.reason);
        if (err.code === "timeout") return reject(new DOMException(err.message, "TimeoutError"));
        const e = new TypeError(err.message);
        e.code = err.code;
        reject(e);
      });
      if (signal !== null) {
        onAbort = () => host.abort(id);
        signal.addEventListener("abort", onAbort);
      }
    }));
  }

  // http: a small axios-like client over fetch. Bodies that are plain
  // objects are sent as JSON; JSON answers are parsed; a status outside
  // 200–299 rejects with an error that carries the response.
  const isPlainData = (d) => d !== null && typeof d === "object" && !(d instanceof ArrayBuffer) && !ArrayBuffer.isView(d) && !(d instanceof URLSearchParams);
  const joinURL = (base, url) => (base && !/^[a-z][a-z0-9+.-]*:/i.test(url) ? base.replace(/\/+$/, "") + "/" + url.replace(/^\/+/, "") : url);
  const withParams = (url, params) => {
    if (!params) return url;
    const q = params instanceof URLSearchParams ? params : new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)]));
    const s = String(q);
    return s ? url + (url.includes("?") ? "&" : "?") + s : url;
  };

  function makeClient(defaults) {
    const request = (config) => {
      const c = Object.assign({}, defaults, config);
      const headers = new Headers(defaults.headers);
      for (const [k, v] of new Headers(config.headers)) headers.set(k, v);
      let body = c.data;
      if (isPlainData(body)) {
        body = stringify(body);
        if (!headers.has("content-type")) headers.set("content-type", "application/json");
      }
      if (!headers.has("accept")) headers.set("accept", "application/json, text/plain, */*");
      const url = withParams(joinURL(c.baseURL, String(c.url)), c.params);
      const validate = typeof c.validateStatus === "function" ? c.validateStatus : (s) => s >= 200 && s < 300;
      return fetch(url, { method: (c.method || "GET").toUpperCase(), headers, body, signal: c.signal, timeout: c.timeout, redirect: c.maxRedirects === 0 ? "manual" : "follow" })
        .then((res) => {
          const type = c.responseType || "json";
          const read = type === "arraybuffer" ? res.arrayBuffer() : res.text();
          return read.then((raw) => {
            let data = raw;
            if (type === "json" && typeof raw === "string" && raw !== "") {
              try { data = parse(raw); } catch (e) { data = raw; }
            }
            const plain = {};
            for (const [k, v] of res.headers) plain[k] = k in plain ? plain[k] + ", " + v : v;
            const out = { status: res.status, statusText: res.statusText, headers: plain, data, url: res.url, config: c };
            if (!validate(res.status)) {
              const e = new Error(`Request failed with status code ${res.status}`);
              e.status = res.status;
              e.response = out;
              throw e;
            }
            return out;
          });
        });
    };
    const client = { request };
    for (const m of ["get", "delete", "head", "options"]) client[m] = (url, config = {}) => request(Object.assign({}, config, { url, method: m }));
    for (const m of ["post", "put", "patch"]) client[m] = (url, data, config = {}) => request(Object.assign({}, config, { url, data, method: m }));
    client.create = (more = {}) => {
      const headers = new Headers(defaults.headers);
      for (const [k, v] of new Headers(more.headers)) headers.set(k, v);
      return makeClient(Object.assign({}, defaults, more, { headers: [...headers] }));
    };
    return client;
  }

  return { fetch, Request, http: makeClient({}) };
})
