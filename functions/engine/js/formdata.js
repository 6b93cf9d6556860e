// FormData, as the XMLHttpRequest standard has it: an ordered list of
// entries whose values are strings or Files. As a body it is sent as
// multipart/form-data (HTML's encoding); Response.formData() and
// Request.formData() read multipart/form-data and
// application/x-www-form-urlencoded back (the parsing is Go's, host.parse).
(function (host, lib) {
  "use strict";
  const { Blob, File } = lib("blob");
  const { TextEncoder } = lib("web");

  // entry: a name and a string, or a name and a File (a Blob becomes one).
  const entry = (name, value, filename, args) => {
    if (args < 2) throw new TypeError(`FormData: 2 arguments required, but only ${args} present.`);
    name = String(name);
    if (value instanceof Blob) {
      if (!(value instanceof File) || filename !== undefined) {
        value = new File([value], filename !== undefined ? String(filename) : value instanceof File ? value.name : "blob", { type: value.type, lastModified: value instanceof File ? value.lastModified : undefined });
      }
      return [name, value];
    }
    if (args > 2 && filename !== undefined) throw new TypeError("FormData: a file name goes only with a Blob or a File");
    return [name, String(value)];
  };

  let listOf; // (formData) → its entries, for encode
  class FormData {
    #list = [];
    constructor(form = undefined) {
      if (form !== undefined) throw new TypeError("FormData: there is no HTML form to read here; append the entries instead");
    }
    append(name, value, filename = undefined) { this.#list.push(entry(name, value, filename, arguments.length)); }
    set(name, value, filename = undefined) {
      const e = entry(name, value, filename, arguments.length);
      const i = this.#list.findIndex(([k]) => k === e[0]);
      if (i < 0) this.#list.push(e);
      else this.#list = this.#list.filter(([k], j) => k !== e[0] || j === i).map((p) => (p[0] === e[0] ? e : p));
    }
    get(name) { name = String(name); const e = this.#list.find(([k]) => k === name); return e ? e[1] : null; }
    getAll(name) { name = String(name); return this.#list.filter(([k]) => k === name).map(([, v]) => v); }
    has(name) { name = String(name); return this.#list.some(([k]) => k === name); }
    delete(name) { name = String(name); this.#list = this.#list.filter(([k]) => k !== name); }
    forEach(fn, thisArg) { for (const [k, v] of this.#list.slice()) fn.call(thisArg, v, k, this); }
    *entries() { for (const [k, v] of this.#list.slice()) yield [k, v]; }
    *keys() { for (const [k] of this.#list.slice()) yield k; }
    *values() { for (const [, v] of this.#list.slice()) yield v; }
    [Symbol.iterator]() { return this.entries(); }
    get [Symbol.toStringTag]() { return "FormData"; }
    static {
      listOf = (fd) => fd.#list;
    }
  }

  // encode: the multipart/form-data body of a FormData, and its content
  // type. Names, file names and string values have their line breaks made
  // CRLF; in names and file names, CR, LF and '"' are percent-encoded.
  const enc = new TextEncoder();
  const crlf = (s) => s.replace(/\r\n|\r|\n/g, "\r\n");
  const quoted = (s) => s.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
  const encode = (fd) => {
    const boundary = "----formdata-scriptforge-" + host.boundary();
    const chunks = [];
    for (const [name, value] of listOf(fd)) {
      let head = `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(crlf(name))}"`;
      if (typeof value === "string") {
        chunks.push(enc.encode(head + "\r\n\r\n" + crlf(value) + "\r\n"));
      } else {
        head += `; filename="${quoted(value.name)}"\r\nContent-Type: ${value.type || "application/octet-stream"}\r\n\r\n`;
        chunks.push(enc.encode(head), lib("blob").blobBytes(value), enc.encode("\r\n"));
      }
    }
    chunks.push(enc.encode(`--${boundary}--\r\n`));
    let size = 0;
    for (const c of chunks) size += c.length;
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) { body.set(c, at); at += c.length; }
    return { body: body.buffer, type: `multipart/form-data; boundary=${boundary}` };
  };

  // decode: a FormData from a body and its content type, or a TypeError.
  const decode = (bytes, contentType) => {
    const parts = host.parse(new Uint8Array(bytes), contentType === null ? "" : contentType);
    const fd = new FormData();
    for (const [name, value, filename, type] of parts) {
      fd.append(name, filename === null ? value : new File([value], filename, { type }));
    }
    return fd;
  };
  return { FormData, encode, decode };
})
