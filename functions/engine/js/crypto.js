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
  const nameOf = (alg) => String(typeof alg === "object" && alg !== null ? alg.name : alg);
  const digestName = (alg) => {
    const go = digestNames[nameOf(alg).toUpperCase()];
    if (!go) throw new DOMException(`Unrecognized algorithm name: ${nameOf(alg)} (supported: SHA-1, SHA-256, SHA-384, SHA-512)`, "NotSupportedError");
    return go;
  };
  const mac = (hash, key, data) => {
    const h = host.hash(hash, key);
    h.update(bytesOf(data, "the data"));
    return h.digest();
  };

  // CryptoKey holds an HMAC key: what webhooks' signatures need. Its bytes
  // are private, and exported only when the key was made extractable.
  let secretOf;
  class CryptoKey {
    #secret; #algorithm; #extractable; #usages;
    constructor(token, secret, algorithm, extractable, usages) {
      if (token !== keyToken) throw new TypeError("CryptoKey cannot be constructed; use crypto.subtle.importKey");
      this.#secret = secret; this.#algorithm = algorithm; this.#extractable = extractable; this.#usages = usages;
    }
    get type() { return "secret"; }
    get algorithm() { return { name: "HMAC", hash: { name: this.#algorithm.hash }, length: this.#algorithm.length }; }
    get extractable() { return this.#extractable; }
    get usages() { return this.#usages.slice(); }
    static {
      secretOf = (key, usage) => {
        if (!(key instanceof CryptoKey)) throw new TypeError("the key must be a CryptoKey");
        if (!key.#usages.includes(usage)) throw new DOMException(`the key may not be used to ${usage}`, "InvalidAccessError");
        return key.#secret;
      };
    }
  }
  const keyToken = Symbol("CryptoKey");
  const hmacOnly = (alg) => {
    if (nameOf(alg).toUpperCase() !== "HMAC") throw new DOMException(`Unrecognized algorithm name: ${nameOf(alg)} (supported: HMAC)`, "NotSupportedError");
  };

  const subtle = {
    digest(alg, data) {
      return new Promise((resolve) => resolve(mac(digestName(alg), null, data)));
    },
    importKey(format, keyData, alg, extractable, usages) {
      return new Promise((resolve) => {
        if (format !== "raw") throw new DOMException(`key format "${format}" is not supported (supported: raw)`, "NotSupportedError");
        hmacOnly(alg);
        const secret = bytesOf(keyData, "importKey: the key").slice();
        const hash = nameOf(alg.hash).toUpperCase();
        digestName(hash);
        const list = Array.from(usages || []);
        for (const u of list) if (u !== "sign" && u !== "verify") throw new SyntaxError(`key usage "${u}" is not valid for HMAC`);
        resolve(new CryptoKey(keyToken, secret, { hash, length: secret.length * 8 }, !!extractable, list));
      });
    },
    sign(alg, key, data) {
      return new Promise((resolve) => {
        hmacOnly(alg);
        resolve(mac(digestName(key.algorithm.hash), secretOf(key, "sign"), data));
      });
    },
    verify(alg, key, signature, data) {
      return new Promise((resolve) => {
        hmacOnly(alg);
        const want = new Uint8Array(mac(digestName(key.algorithm.hash), secretOf(key, "verify"), data));
        const got = bytesOf(signature, "verify: the signature");
        resolve(want.length === got.length && host.equal(want, got));
      });
    },
    exportKey(format, key) {
      return new Promise((resolve) => {
        if (format !== "raw") throw new DOMException(`key format "${format}" is not supported (supported: raw)`, "NotSupportedError");
        if (!key.extractable) throw new DOMException("the key is not extractable", "InvalidAccessError");
        resolve(secretOf(key, key.usages[0]).slice().buffer);
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
