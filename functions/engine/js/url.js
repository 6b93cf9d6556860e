// URL, URLSearchParams, and the url and querystring modules. URLs are
// parsed in Go (weburl.go), by the WHATWG URL Standard; the classes and
// the form encoding are here.
(function (host) {
  "use strict";

  // formEncode is application/x-www-form-urlencoded: what
  // encodeURIComponent leaves, minus !'()~, with spaces as '+'.
  const wellFormed = (s) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD");
  const formEncode = (s) => encodeURIComponent(wellFormed(s)).replace(/[!'()~]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase()).replace(/%20/g, "+");

  let attach; // (params, url): links a URL's searchParams to it
  class URLSearchParams {
    #list = [];
    #url = null; // the URL whose query this is, kept in step
    constructor(init) {
      if (init === undefined || init === null) return;
      if (init instanceof URLSearchParams) {
        this.#list = init.#list.map((p) => p.slice());
      } else if (typeof init === "object" || typeof init === "function") {
        if (typeof init[Symbol.iterator] === "function") {
          for (const pair of init) {
            const p = Array.from(pair);
            if (p.length !== 2) throw new TypeError("URLSearchParams: each pair must have a name and a value");
            this.#list.push([String(p[0]), String(p[1])]);
          }
        } else {
          for (const k of Object.keys(init)) this.#list.push([k, String(init[k])]);
        }
      } else {
        this.#list = host.parseForm(String(init));
      }
    }
    #changed() { if (this.#url !== null) setSearch(this.#url, this.toString()); }
    get size() { return this.#list.length; }
    append(name, value) { this.#list.push([String(name), String(value)]); this.#changed(); }
    delete(name, value) {
      name = String(name);
      this.#list = this.#list.filter(([k, v]) => k !== name || (value !== undefined && v !== String(value)));
      this.#changed();
    }
    get(name) {
      name = String(name);
      const p = this.#list.find(([k]) => k === name);
      return p ? p[1] : null;
    }
    getAll(name) { name = String(name); return this.#list.filter(([k]) => k === name).map(([, v]) => v); }
    has(name, value) { name = String(name); return this.#list.some(([k, v]) => k === name && (value === undefined || v === String(value))); }
    set(name, value) {
      name = String(name);
      const i = this.#list.findIndex(([k]) => k === name);
      if (i < 0) this.#list.push([name, String(value)]);
      else this.#list = this.#list.filter(([k], j) => k !== name || j === i).map((p, j) => (j === i ? [name, String(value)] : p));
      this.#changed();
    }
    sort() {
      // Stable, by UTF-16 code units, as the standard says.
      this.#list = this.#list.map((p, i) => [p, i]).sort((a, b) => (a[0][0] < b[0][0] ? -1 : a[0][0] > b[0][0] ? 1 : a[1] - b[1])).map(([p]) => p);
      this.#changed();
    }
    forEach(fn, thisArg) { for (const [k, v] of this.#list.slice()) fn.call(thisArg, v, k, this); }
    *entries() { for (const p of this.#list.slice()) yield p.slice(); }
    *keys() { for (const [k] of this.#list.slice()) yield k; }
    *values() { for (const [, v] of this.#list.slice()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return this.#list.map(([k, v]) => formEncode(k) + "=" + formEncode(v)).join("&"); }
    get [Symbol.toStringTag]() { return "URLSearchParams"; }
    static {
      attach = (params, url, search) => {
        params.#url = url;
        params.#list = host.parseForm(search);
      };
    }
  }

  const invalid = (input) => {
    const e = new TypeError(`Invalid URL: ${input}`);
    e.code = "ERR_INVALID_URL";
    return e;
  };
  let setSearch; // (url, query) from URLSearchParams
  // URL: the WHATWG URL Standard's API. Parsing and every setter run the
  // standard's parser in Go (weburl.go); this side holds the parts.
  class URL {
    #p; #params = null;
    constructor(input, base) {
      const p = host.parseURL(String(input), base === undefined ? undefined : String(base));
      if (p === null) throw invalid(input);
      this.#p = p;
    }
    static canParse(input, base) { return host.parseURL(String(input), base === undefined ? undefined : String(base)) !== null; }
    static parse(input, base) { const p = host.parseURL(String(input), base === undefined ? undefined : String(base)); return p === null ? null : new URL(p.Href); }
    // #set runs one of the standard's setters; a value that does not fit
    // leaves the URL as it was, as the standard says.
    #set(part, value) {
      const next = host.setURL(this.#p.Href, part, String(value));
      if (next === null) return;
      this.#p = next;
      if (this.#params !== null && part === "search") attach(this.#params, this, next.Search);
    }
    get href() { return this.#p.Href; }
    set href(v) {
      const p = host.parseURL(String(v), undefined);
      if (p === null) throw invalid(v);
      this.#p = p;
      if (this.#params !== null) attach(this.#params, this, p.Search);
    }
    get origin() { return this.#p.Origin; }
    get protocol() { return this.#p.Protocol; }
    set protocol(v) { this.#set("protocol", v); }
    get username() { return this.#p.Username; }
    set username(v) { this.#set("username", v); }
    get password() { return this.#p.Password; }
    set password(v) { this.#set("password", v); }
    get host() { return this.#p.Host; }
    set host(v) { this.#set("host", v); }
    get hostname() { return this.#p.Hostname; }
    set hostname(v) { this.#set("hostname", v); }
    get port() { return this.#p.Port; }
    set port(v) { this.#set("port", v); }
    get pathname() { return this.#p.Pathname; }
    set pathname(v) { this.#set("pathname", v); }
    get search() { return this.#p.Search; }
    set search(v) { this.#set("search", v); }
    get hash() { return this.#p.Hash; }
    set hash(v) { this.#set("hash", v); }
    get searchParams() {
      if (this.#params === null) {
        this.#params = new URLSearchParams();
        attach(this.#params, this, this.#p.Search);
      }
      return this.#params;
    }
    toString() { return this.#p.Href; }
    toJSON() { return this.#p.Href; }
    get [Symbol.toStringTag]() { return "URL"; }
    static {
      setSearch = (url, query) => {
        const params = url.#params;
        url.#params = null; // the list is already what it should be
        url.#set("search", query);
        url.#params = params;
      };
    }
  }

  const escape = (s) => encodeURIComponent(s);
  const unescape = (s) => {
    const plain = s.replace(/\+/g, " ");
    try {
      return decodeURIComponent(plain);
    } catch (e) {
      // Malformed escapes are kept as they are, as Node's querystring does.
      return plain.replace(/(%[0-9A-Fa-f]{2})+/g, (m) => { try { return decodeURIComponent(m); } catch (x) { return m; } });
    }
  };
  const primitive = (v) => {
    switch (typeof v) {
      case "string": return v;
      case "number": return isFinite(v) ? String(v) : "";
      case "bigint": case "boolean": return String(v);
      default: return "";
    }
  };

  // parse: a=1&b=2&a=3 → {a: ["1", "3"], b: "2"}, at most maxKeys keys (default 1000).
  function parse(str, sep = "&", eq = "=", options) {
    const out = Object.create(null);
    if (typeof str !== "string" || str.length === 0) return out;
    const maxKeys = options && typeof options.maxKeys === "number" ? options.maxKeys : 1000;
    const decode = options && typeof options.decodeURIComponent === "function" ? options.decodeURIComponent : unescape;
    let parts = str.split(sep);
    if (maxKeys > 0) parts = parts.slice(0, maxKeys);
    for (const part of parts) {
      if (!part) continue;
      const i = part.indexOf(eq);
      const k = decode(i >= 0 ? part.slice(0, i) : part);
      const v = i >= 0 ? decode(part.slice(i + eq.length)) : "";
      if (!(k in out)) out[k] = v;
      else if (Array.isArray(out[k])) out[k].push(v);
      else out[k] = [out[k], v];
    }
    return out;
  }

  function stringify(obj, sep = "&", eq = "=", options) {
    if (obj === null || typeof obj !== "object") return "";
    const enc = options && typeof options.encodeURIComponent === "function" ? options.encodeURIComponent : escape;
    const out = [];
    for (const k of Object.keys(obj)) {
      const v = obj[k];
      const key = enc(primitive(k));
      if (Array.isArray(v)) for (const item of v) out.push(key + eq + enc(primitive(item)));
      else out.push(key + eq + enc(primitive(v)));
    }
    return out.join(sep);
  }

  const querystring = { parse, stringify, escape, unescape, decode: parse, encode: stringify };
  const url = { URL, URLSearchParams };
  return { URL, URLSearchParams, url, querystring };
})
