// The WHATWG Streams of Apps: web-streams-polyfill (host.polyfill, see
// mod_streams.go) with its queues bounded by the run's memory budget,
// TextEncoderStream and TextDecoderStream, and what bodies need (a stream
// of bytes, reading one whole).
(function (host, lib) {
  "use strict";
  const ws = host.polyfill();
  const { ReadableStream, TransformStream, ReadableStreamDefaultController, ReadableByteStreamController,
    TransformStreamDefaultController, WritableStreamDefaultWriter, WritableStreamDefaultController } = ws;
  const { TextEncoder, TextDecoder } = lib("web");
  const define = (o, k, v) => Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });

  // Bounds. The polyfill's queues grow as chunks are enqueued, whatever a
  // strategy's size says (a size of 0 queues forever). Every queue it has
  // (chunks, read requests, pending writes, tee branches) is one class,
  // whose push and shift here keep the bytes each queue holds, at what
  // goja was measured to spend: a queued chunk ~512 B besides its own
  // bytes, a read request or a pending write ~2 KiB. A queue past the
  // run's memory budget is a RangeError, as the allocation guards throw
  // (the run fails as memory_limit, and the runtime is not reused); the
  // public enqueue and write check first, and error their stream.
  const chunkEntry = 512, requestEntry = 2048;
  const over = (what, bytes) => host.exceeded(what, bytes);
  const payload = (c) => {
    if (typeof c === "string") return c.length * 2;
    if (c !== null && typeof c === "object" && (ArrayBuffer.isView(c) || c instanceof ArrayBuffer)) return c.byteLength;
    return 0;
  };
  const costOf = (x) => {
    if ("value" in x && "size" in x) return chunkEntry + payload(x.value); // a chunk
    if ("buffer" in x && "byteLength" in x && !("bytesFilled" in x)) return chunkEntry + x.byteLength; // a byte stream's chunk
    return requestEntry;
  };
  const held = new WeakMap(); // queue → bytes
  const costs = new WeakMap(); // element → its bytes in its queue
  {
    const Q = Object.getPrototypeOf(new ReadableStream()._readableStreamController._queue);
    const push = Q.push, shift = Q.shift;
    Q.push = function (x) {
      const n = costOf(x), total = (held.get(this) || 0) + n;
      if (total > host.budget()) throw over("A stream's queue", total);
      push.call(this, x);
      held.set(this, total);
      costs.set(x, n);
    };
    Q.shift = function () {
      const x = shift.call(this);
      const n = costs.get(x);
      if (n !== undefined) held.set(this, Math.max(0, held.get(this) - n));
      return x;
    };
  }
  // fits: whether chunk can join queue (undefined when the receiver is
  // not a stream's: the polyfill then throws its TypeError).
  const fits = (queue, chunk, what, fail) => {
    if (queue === undefined) return;
    const total = (held.get(queue) || 0) + chunkEntry + payload(chunk);
    if (total <= host.budget()) return;
    const e = over(`${what}: the queued chunks`, total);
    fail(e);
    throw e;
  };
  {
    const R = ReadableStreamDefaultController.prototype;
    const enqueue = R.enqueue, error = R.error;
    define(R, "enqueue", { enqueue(chunk = undefined) {
      fits(this._queue, chunk, "ReadableStream", (e) => error.call(this, e));
      return enqueue.call(this, chunk);
    } }.enqueue);

    const B = ReadableByteStreamController.prototype;
    const enqueueBytes = B.enqueue, errorBytes = B.error;
    define(B, "enqueue", { enqueue(chunk = undefined) {
      fits(this._queue, chunk, "ReadableStream", (e) => errorBytes.call(this, e));
      return enqueueBytes.call(this, chunk);
    } }.enqueue);

    const T = TransformStreamDefaultController.prototype;
    const enqueueT = T.enqueue, errorT = T.error;
    define(T, "enqueue", { enqueue(chunk = undefined) {
      const s = this._controlledTransformStream;
      fits(s === undefined ? undefined : s._readable._readableStreamController._queue, chunk, "TransformStream", (e) => errorT.call(this, e));
      return enqueueT.call(this, chunk);
    } }.enqueue);

    const W = WritableStreamDefaultWriter.prototype;
    const write = W.write, errorW = WritableStreamDefaultController.prototype.error;
    define(W, "write", { write(chunk = undefined) {
      const s = this._ownerWritableStream;
      const c = s === undefined ? undefined : s._writableStreamController;
      try {
        fits(c === undefined ? undefined : c._queue, chunk, "WritableStream", (e) => errorW.call(c, e));
      } catch (e) {
        return Promise.reject(e); // write reports failures by its promise
      }
      return write.call(this, chunk);
    } }.write);
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
        if (counted) {
          reader.cancel(new RangeError(`${what}: the body is over ${limit} bytes`));
          return size;
        }
        const e = over(`${what}: the body`, size);
        reader.cancel(e);
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
