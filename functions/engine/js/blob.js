// Blob and File, as the File API standard has them: immutable bytes with a
// type, made of strings (UTF-8), buffers, views and other blobs. Their
// bytes live in one Uint8Array, so a huge blob meets the typed-array
// guard's memory budget.
(function (host, lib) {
  "use strict";
  const { TextEncoder, TextDecoder } = lib("web");
  const encoder = new TextEncoder();

  // type: ASCII printable only, lower-cased; anything else means no type.
  const normalType = (t) => {
    const s = String(t);
    return /^[\x20-\x7E]*$/.test(s) ? s.toLowerCase() : "";
  };
  const partBytes = (p, endings) => {
    if (p instanceof Blob) return bytesOf.get(p);
    if (p instanceof ArrayBuffer) return new Uint8Array(p.slice(0));
    if (ArrayBuffer.isView(p)) return new Uint8Array(p.buffer.slice(p.byteOffset, p.byteOffset + p.byteLength));
    let s = String(p);
    if (endings === "native") s = s.replace(/\r\n|\r/g, "\n"); // the native line ending here is \n
    return encoder.encode(s);
  };
  const bytesOf = new WeakMap(); // Blob → its Uint8Array, which no one else sees

  class Blob {
    #type;
    constructor(blobParts = undefined, options = undefined) { // length 0, as WebIDL counts optional arguments
      const parts = [];
      if (blobParts !== undefined) {
        if (blobParts === null || typeof blobParts !== "object" || typeof blobParts[Symbol.iterator] !== "function") {
          throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
        }
        const endings = options == null || options.endings === undefined ? "transparent" : String(options.endings);
        if (endings !== "transparent" && endings !== "native") throw new TypeError(`Failed to construct 'Blob': '${endings}' is not a valid value for endings`);
        for (const p of blobParts) parts.push(partBytes(p, endings));
      }
      this.#type = options == null || options.type === undefined ? "" : normalType(options.type);
      let size = 0;
      for (const p of parts) size += p.length;
      const all = new Uint8Array(size);
      let at = 0;
      for (const p of parts) { all.set(p, at); at += p.length; }
      bytesOf.set(this, all);
    }
    get size() { return bytesOf.get(this).length; }
    get type() { return this.#type; }
    slice(start, end, contentType) {
      const size = this.size;
      const rel = (v, dflt) => {
        if (v === undefined) return dflt;
        const n = Math.trunc(Number(v)) || 0;
        return n < 0 ? Math.max(size + n, 0) : Math.min(n, size);
      };
      const from = rel(start, 0), to = rel(end, size);
      const out = new Blob([], { type: contentType === undefined ? "" : contentType });
      bytesOf.set(out, bytesOf.get(this).slice(from, Math.max(from, to)));
      return out;
    }
    text() { return Promise.resolve(new TextDecoder().decode(bytesOf.get(this))); }
    arrayBuffer() { return Promise.resolve(bytesOf.get(this).slice().buffer); }
    bytes() { return Promise.resolve(bytesOf.get(this).slice()); }
    stream() { return lib("streams").fromBytes(bytesOf.get(this).slice()); }
    get [Symbol.toStringTag]() { return "Blob"; }
  }

  class File extends Blob {
    #name; #lastModified;
    constructor(fileBits, fileName, options = undefined) {
      if (arguments.length < 2) throw new TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
      super(fileBits, options);
      this.#name = String(fileName);
      this.#lastModified = options == null || options.lastModified === undefined ? Date.now() : Number(options.lastModified);
    }
    get name() { return this.#name; }
    get lastModified() { return this.#lastModified; }
    get [Symbol.toStringTag]() { return "File"; }
  }

  // bytes(blob): a copy of a Blob's bytes, for Response and fetch bodies; null for anything else.
  const blobBytes = (b) => (bytesOf.has(b) ? bytesOf.get(b).slice() : null);
  return { Blob, File, blobBytes };
})
