// The WHATWG Streams of Apps: web-streams-polyfill (host.polyfill, see
// mod_streams.go) with its queues bounded by the run's memory budget,
// TextEncoderStream and TextDecoderStream, and what bodies need (a stream
// of bytes, reading one whole).
(function (host, lib) {
  "use strict";
  const ws = host.polyfill();
  const { ReadableStream, WritableStream, TransformStream, ReadableStreamDefaultController,
    ReadableByteStreamController, TransformStreamDefaultController, WritableStreamDefaultWriter } = ws;
  const { TextEncoder, TextDecoder } = lib("web");
  const define = (o, k, v) => Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });

  // Bounds. The polyfill's queues grow as chunks are enqueued, whatever a
  // strategy's size says (a size of 0 queues forever), so each queue is
  // held to the run's memory budget in bytes (a chunk costs its bytes and
  // entryBytes more), and every internal queue (read requests, tee
  // branches) to budget / entryBytes entries. Over either, the stream is
  // errored and a RangeError thrown: the run fails as the allocation
  // guards fail it, and the runtime is not reused. A read request or a
  // write holds a promise and its functions: ~1 KiB in goja; the bound on
  // entries counts them at half that.
  const entryBytes = 64, maxEntries = Math.floor(host.budget() / 512);
  const over = (what, bytes) => host.exceeded(what, bytes);
  const chunkBytes = (c) => {
    if (typeof c === "string") return c.length * 2 + entryBytes;
    if (c !== null && typeof c === "object" && (ArrayBuffer.isView(c) || c instanceof ArrayBuffer)) return c.byteLength + entryBytes;
    return entryBytes;
  };
  // queued: the bytes of a queue's chunks, front first, kept in step with
  // the polyfill's queue by its length (chunks leave only from the front,
  // or all at once when the queue is reset).
  const accounts = new WeakMap();
  const account = (owner, length) => {
    let a = accounts.get(owner);
    if (a === undefined) accounts.set(owner, (a = { sizes: [], head: 0, bytes: 0 }));
    while (a.sizes.length - a.head > length) {
      a.bytes -= a.sizes[a.head];
      a.sizes[a.head++] = 0;
    }
    while (a.sizes.length - a.head < length) a.sizes.push(0); // queued by the polyfill itself (tee, from)
    if (a.head > 1024 && a.head * 2 > a.sizes.length) { a.sizes = a.sizes.slice(a.head); a.head = 0; }
    return a;
  };
  // admit checks that chunk fits in owner's queue, enqueues it (enqueue
  // returns the queue's length after), and counts it if it was queued
  // rather than handed to a waiting read.
  const admit = (owner, queue, chunk, what, fail, enqueue) => {
    if (queue === undefined) return enqueue(); // not a stream's: the polyfill throws its TypeError
    const n = chunkBytes(chunk);
    const a = account(owner, queue.length);
    if (a.bytes + n > host.budget()) {
      const e = over(`${what}: the queued chunks`, a.bytes + n);
      fail(e);
      throw e;
    }
    const before = queue.length;
    const out = enqueue();
    const q = owner._queue !== undefined ? owner._queue : queue; // a reset queue is a new one
    if (q === queue && q.length === before + 1) {
      a.sizes.push(n);
      a.bytes += n;
    }
    return out;
  };

  {
    const R = ReadableStreamDefaultController.prototype;
    const enqueue = R.enqueue, error = R.error;
    define(R, "enqueue", { enqueue(chunk = undefined) {
      return admit(this, this._queue, chunk, "ReadableStream", (e) => error.call(this, e), () => enqueue.call(this, chunk));
    } }.enqueue);

    const B = ReadableByteStreamController.prototype;
    const enqueueBytes = B.enqueue, errorBytes = B.error;
    define(B, "enqueue", { enqueue(chunk = undefined) {
      // A byte stream counts its queue in bytes itself.
      if (this._queueTotalSize !== undefined && ArrayBuffer.isView(chunk) && this._queueTotalSize + chunk.byteLength > host.budget()) {
        const e = over("ReadableStream: the queued bytes", this._queueTotalSize + chunk.byteLength);
        errorBytes.call(this, e);
        throw e;
      }
      return enqueueBytes.call(this, chunk);
    } }.enqueue);

    const T = TransformStreamDefaultController.prototype;
    const enqueueT = T.enqueue, errorT = T.error;
    define(T, "enqueue", { enqueue(chunk = undefined) {
      const s = this._controlledTransformStream;
      const c = s === undefined ? undefined : s._readable._readableStreamController;
      return admit(c, c === undefined ? undefined : c._queue, chunk, "TransformStream", (e) => errorT.call(this, e), () => enqueueT.call(this, chunk));
    } }.enqueue);

    const W = WritableStreamDefaultWriter.prototype;
    const write = W.write;
    define(W, "write", { write(chunk = undefined) {
      const s = this._ownerWritableStream;
      const c = s === undefined ? undefined : s._writableStreamController;
      if (c === undefined || c._queue === undefined) return write.call(this, chunk);
      try {
        return admit(c, c._queue, chunk, "WritableStream", (e) => c.error(e), () => write.call(this, chunk));
      } catch (e) {
        return Promise.reject(e); // write reports failures by its promise
      }
    } }.write);

    // Every internal queue is one class (read requests, pending writes,
    // tee branches): bound its length.
    const probe = new ReadableStream();
    const Q = Object.getPrototypeOf(probe._readableStreamController._queue);
    const push = Q.push;
    Q.push = function (x) {
      if (this._size >= maxEntries) throw over(`A stream's queue of more than ${maxEntries} entries`, (this._size + 1) * 512);
      return push.call(this, x);
    };
  }

  // TextEncoderStream: strings in, UTF-8 bytes out. A high surrogate at
  // the end of a chunk waits for the low one the next chunk may start with.
  class TextEncoderStream {
    #transform;
    constructor() {
      const encoder = new TextEncoder();
      let pending = "";
      this.#transform = new TransformStream({
        transform(chunk, c) {
          let s = pending + String(chunk);
          pending = "";
          const last = s.charCodeAt(s.length - 1);
          if (last >= 0xd800 && last <= 0xdbff) { pending = s[s.length - 1]; s = s.slice(0, -1); }
          if (s !== "") c.enqueue(encoder.encode(s));
        },
        flush(c) {
          if (pending !== "") c.enqueue(new Uint8Array([0xef, 0xbf, 0xbd]));
        },
      });
    }
    get encoding() { return "utf-8"; }
    get readable() { return this.#transform.readable; }
    get writable() { return this.#transform.writable; }
    get [Symbol.toStringTag]() { return "TextEncoderStream"; }
  }

  // TextDecoderStream: bytes in, text out, a character split across chunks
  // decoded once its last byte has come.
  class TextDecoderStream {
    #decoder; #transform;
    constructor(label = "utf-8", options = {}) {
      const decoder = (this.#decoder = new TextDecoder(label, options));
      this.#transform = new TransformStream({
        transform(chunk, c) {
          if (!(chunk instanceof ArrayBuffer) && !ArrayBuffer.isView(chunk)) {
            throw new TypeError("TextDecoderStream: a chunk must be an ArrayBuffer or a view of one");
          }
          const s = decoder.decode(chunk, { stream: true });
          if (s !== "") c.enqueue(s);
        },
        flush(c) {
          const s = decoder.decode();
          if (s !== "") c.enqueue(s);
        },
      });
    }
    get encoding() { return this.#decoder.encoding; }
    get fatal() { return this.#decoder.fatal; }
    get ignoreBOM() { return this.#decoder.ignoreBOM; }
    get readable() { return this.#transform.readable; }
    get writable() { return this.#transform.writable; }
    get [Symbol.toStringTag]() { return "TextDecoderStream"; }
  }

  // For bodies.
  const isStream = (v) => v instanceof ReadableStream;
  const disturbed = (s) => s._disturbed === true;
  // fromBytes: a byte stream of one chunk (none for no bytes), as a
  // Response or a Blob hands out its content.
  const fromBytes = (bytes) => new ReadableStream({
    type: "bytes",
    start(c) {
      if (bytes.byteLength > 0) c.enqueue(bytes);
      c.close();
    },
  });
  // collect reads a stream of Uint8Arrays whole, up to limit bytes, and
  // resolves to them joined; past limit, to the bytes read so far (a
  // number) when counted is set, else it rejects with a RangeError.
  const collect = (stream, limit, what, counted = false) => {
    if (limit === undefined) limit = host.budget();
    const reader = stream.getReader();
    const parts = [];
    let size = 0;
    const step = () => reader.read().then(({ done, value }) => {
      if (done) {
        const out = new Uint8Array(size);
        let at = 0;
        for (const p of parts) { out.set(p, at); at += p.byteLength; }
        return out;
      }
      if (!(value instanceof Uint8Array)) {
        const e = new TypeError(`${what}: the stream gave a chunk that is not a Uint8Array`);
        reader.cancel(e);
        throw e;
      }
      size += value.byteLength;
      if (size > limit) {
        const e = counted ? null : over(`${what}: the body`, size);
        reader.cancel(e === null ? new RangeError(`${what}: the body is over ${limit} bytes`) : e);
        if (counted) return size;
        throw e;
      }
      parts.push(value);
      return step();
    });
    return step();
  };

  const exports = { TextEncoderStream, TextDecoderStream, isStream, disturbed, fromBytes, collect };
  for (const k of Object.keys(ws)) exports[k] = ws[k];
  return exports;
})
