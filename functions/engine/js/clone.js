// structuredClone, as the HTML standard's structured serialize and
// deserialize steps define it for what a function can hold: primitives,
// the wrapper objects, Date, RegExp, ArrayBuffer and its views, Map, Set,
// Error, arrays and plain objects, with cycles and shared references kept.
// Functions, symbols, WeakMap, WeakSet, Promises and proxies of them are a
// DataCloneError. The copy counts against the function's memory budget
// (host.budget(), bytes), so a huge graph ends in a RangeError.
(function (host, lib) {
  "use strict";
  const { DOMException } = lib("web");
  const fail = (what) => { throw new DOMException(`${what} could not be cloned.`, "DataCloneError"); };
  const errorTypes = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
  const typedArrays = {
    Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
    Float32Array, Float64Array, BigInt64Array, BigUint64Array,
  };
  // What a value is, told by its internal slots (host.kind reads goja's
  // own notion of them; a typed array's name getter answers undefined for
  // anything else), never by Symbol.toStringTag, which any object may
  // claim. The few kinds goja does not tell apart are confirmed by a brand
  // check (calling an intrinsic that only works on the real thing) when
  // their tag names them: a thrown exception costs a stack trace, too
  // much to try on every object.
  const toTag = Object.prototype.toString;
  const getter = (proto, name) => Object.getOwnPropertyDescriptor(proto, name).get;
  const brand = (check) => (v) => { try { check(v); return true; } catch (e) { return false; } };
  const typedArrayName = getter(Object.getPrototypeOf(Uint8Array.prototype), Symbol.toStringTag);
  const dataViewLength = getter(DataView.prototype, "byteLength");
  const confirmed = {
    "[object DataView]": ["DataView", brand((v) => dataViewLength.call(v))],
    "[object WeakMap]": ["WeakMap", brand((v) => WeakMap.prototype.has.call(v, {}))],
    "[object WeakSet]": ["WeakSet", brand((v) => WeakSet.prototype.has.call(v, {}))],
    "[object Symbol]": ["Symbol", brand((v) => Symbol.prototype.valueOf.call(v))],
  };
  const slotOf = (v) => {
    const ta = typedArrayName.call(v);
    if (ta !== undefined) return ta;
    const kind = host.kind(v);
    if (kind !== "") return kind;
    const c = confirmed[toTag.call(v)];
    return c !== undefined && c[1](v) ? c[0] : "Object";
  };

  function structuredClone(value, options) {
    if (arguments.length === 0) throw new TypeError("structuredClone: 1 argument required, but only 0 present.");
    const memory = new Map(); // original → copy: cycles and shared references
    const budget = host.budget();
    let used = 0;
    const spend = (bytes) => {
      used += bytes;
      if (used > budget) throw new RangeError(`structuredClone: the copy would take more than this function's memory limit (${budget} bytes)`);
    };
    const transfer = [];
    if (options != null && options.transfer !== undefined) {
      for (const b of options.transfer) {
        if (slotOf(b) !== "ArrayBuffer") fail(`${String(b)} in transfer`);
        if (transfer.includes(b)) throw new DOMException("An ArrayBuffer is transferred twice.", "DataCloneError");
        transfer.push(b);
      }
    }

    const copy = (v) => {
      if (typeof v === "symbol") fail(String(v));
      if (typeof v === "function") fail(`${v}`.slice(0, 60));
      if (typeof v === "string") spend(2 * v.length); // serialized, as the standard's steps write it
      if (v === null || typeof v !== "object") return v;
      if (memory.has(v)) return memory.get(v);
      spend(64);
      const kind = slotOf(v);
      let out;
      switch (kind) {
        case "Boolean": out = Object(Boolean.prototype.valueOf.call(v)); break;
        case "Number": out = Object(Number.prototype.valueOf.call(v)); break;
        case "String": out = Object(String.prototype.valueOf.call(v)); spend(2 * out.length); break;
        case "BigInt": out = Object(BigInt.prototype.valueOf.call(v)); break;
        case "Date": out = new Date(Date.prototype.getTime.call(v)); break;
        case "RegExp": out = new RegExp(v.source, v.flags); break;
        case "ArrayBuffer":
          spend(v.byteLength);
          out = v.slice(0);
          break;
        case "DataView": {
          const buffer = copy(v.buffer);
          out = new DataView(buffer, v.byteOffset, v.byteLength);
          break;
        }
        case "Map": out = new Map(); break;
        case "Set": out = new Set(); break;
        case "Array": out = new Array(v.length); break;
        case "Error": {
          if (v instanceof DOMException) { out = new DOMException(v.message, v.name); break; }
          const name = v.name;
          const Ctor = Object.prototype.hasOwnProperty.call(errorTypes, name) ? errorTypes[name] : Error;
          out = Object.create(Ctor.prototype);
          const message = Object.getOwnPropertyDescriptor(v, "message");
          if (message !== undefined && "value" in message) {
            Object.defineProperty(out, "message", { value: String(message.value), writable: true, configurable: true });
          }
          const stack = v.stack;
          if (typeof stack === "string") Object.defineProperty(out, "stack", { value: stack, writable: true, configurable: true });
          memory.set(v, out);
          if ("cause" in v) Object.defineProperty(out, "cause", { value: copy(v.cause), writable: true, configurable: true });
          return out;
        }
        case "Object": out = {}; break;
        default:
          if (typedArrays[kind] !== undefined) {
            const buffer = copy(v.buffer);
            out = new typedArrays[kind](buffer, v.byteOffset, v.length);
            break;
          }
          fail(`#<${kind}>`);
      }
      memory.set(v, out);
      if (kind === "Map") {
        for (const [k, x] of Map.prototype.entries.call(v)) { spend(32); out.set(copy(k), copy(x)); }
      } else if (kind === "Set") {
        for (const x of Set.prototype.values.call(v)) { spend(16); out.add(copy(x)); }
      } else if (kind === "Array" || kind === "Object") {
        // Own enumerable string keys, read with [[Get]] as the standard
        // reads them (getters run, once each, in key order).
        for (const k of Object.keys(v)) {
          spend(32 + 2 * k.length);
          const x = v[k];
          out[k] = copy(x);
        }
      }
      return out;
    };

    const result = copy(value);
    for (const b of transfer) host.detach(b);
    return result;
  }
  return { structuredClone };
})
