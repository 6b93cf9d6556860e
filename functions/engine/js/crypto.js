// crypto: Node's hashing and random functions, and the Web Crypto global
// (getRandomValues, randomUUID, subtle.digest). The work is Go's.
(function (host, lib) {
  "use strict";
  const { Buffer } = lib("buffer");
  const { DOMException, bytesOf } = lib("web");

  // input turns data (a string in an encoding, or any bytes) into a Uint8Array for Go.
  const input = (data, enc, what) => {
    if (typeof data === "string") return Buffer.from(data, enc);
    if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return bytesOf(data, what);
    throw new TypeError(`${what} must be a string, Buffer, ArrayBuffer or typed array`);
  };

  class Hash {
    #h; #done = false;
    constructor(h) { this.#h = h; }
    update(data, enc) {
      if (this.#done) throw new Error("Digest already called");
      this.#h.update(input(data, enc, "The data"));
      return this;
    }
    digest(enc) {
      if (this.#done) throw new Error("Digest already called");
      this.#done = true;
      const b = Buffer.from(this.#h.digest());
      return enc === undefined || enc === "buffer" ? b : b.toString(enc);
    }
  }
  const algorithm = (a) => String(a).toLowerCase().replace(/^rsa-/, "");
  const createHash = (alg) => new Hash(host.hash(algorithm(alg), null));
  const createHmac = (alg, key) => {
    if (key == null) throw new TypeError("createHmac needs a key");
    return new Hash(host.hash(algorithm(alg), input(key, "utf8", "The key")));
  };

  const randomBytes = (n, callback) => {
    if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > 65536 * 16) {
      throw new RangeError(`randomBytes: the size must be an integer from 0 to ${65536 * 16}, got ${String(n)}`);
    }
    const b = Buffer.from(host.random(n));
    if (typeof callback === "function") { queueMicrotask(() => callback(null, b)); return undefined; }
    return b;
  };
  const randomInt = (min, max) => {
    if (max === undefined) [min, max] = [0, min];
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max <= min || max - min > 2 ** 48) {
      throw new RangeError("randomInt: min and max must be safe integers with min < max and max - min <= 2**48");
    }
    return min + host.randomBelow(max - min);
  };
  const timingSafeEqual = (a, b) => {
    const x = bytesOf(a, "timingSafeEqual: the first argument"), y = bytesOf(b, "timingSafeEqual: the second argument");
    if (x.length !== y.length) throw new RangeError("Input buffers must have the same byte length");
    return host.equal(x, y);
  };

  const integerArrays = ["Int8Array", "Uint8Array", "Uint8ClampedArray", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "BigInt64Array", "BigUint64Array"];
  const getRandomValues = (ta) => {
    if (!ArrayBuffer.isView(ta) || ta instanceof DataView || !integerArrays.includes(Object.prototype.toString.call(ta).slice(8, -1))) {
      throw new DOMException("getRandomValues needs an integer typed array", "TypeMismatchError");
    }
    if (ta.byteLength > 65536) {
      throw new DOMException(`getRandomValues: ${ta.byteLength} bytes asked for; the limit is 65536`, "QuotaExceededError");
    }
    new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength).set(new Uint8Array(host.random(ta.byteLength)));
    return ta;
  };
  const digestNames = { "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512" };
  const subtle = {
    digest(alg, data) {
      return new Promise((resolve) => {
        const name = typeof alg === "object" && alg !== null ? alg.name : alg;
        const go = digestNames[String(name).toUpperCase()];
        if (!go) throw new DOMException(`Unrecognized algorithm name: ${name} (supported: SHA-1, SHA-256, SHA-384, SHA-512)`, "NotSupportedError");
        const h = host.hash(go, null);
        h.update(bytesOf(data, "digest: the data"));
        resolve(h.digest());
      });
    },
  };
  const webcrypto = { getRandomValues, randomUUID: () => host.uuid(), subtle };

  const crypto = {
    createHash, createHmac, randomBytes, randomInt, timingSafeEqual,
    randomUUID: () => host.uuid(),
    getRandomValues, getHashes: () => host.hashes(),
    webcrypto, subtle,
  };
  return { crypto, webcrypto };
})
