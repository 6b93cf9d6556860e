// console: Node-style formatting (printf-like specifiers, and objects shown
// as Node's util.inspect shows them, bounded in depth, items and length),
// handed to Go a line at a time. Go timestamps, masks and caps the lines.
(function (host) {
  "use strict";
  const emit = host.emit;
  const MAX_TEXT = 16384; // Go cuts lines at 8 KiB; formatting stops past this
  const MAX_ITEMS = 100; // array, Map and Set entries shown
  const MAX_BYTES = 50; // Buffer bytes shown
  const BREAK_AT = 72; // a longer one-line form is broken into lines

  const stringify = JSON.stringify;
  const getProto = Object.getPrototypeOf;
  const ownKeys = Reflect.ownKeys;
  const describe = Object.getOwnPropertyDescriptor;
  const toTag = Object.prototype.toString;
  const isArray = Array.isArray;
  const identRE = /^[A-Za-z_$][\w$]*$/;

  const quote = (s) => "'" + s.replace(/[\\'\n\r\t]/g, (c) => ({ "\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t" })[c]) + "'";
  const keyText = (k) => (typeof k === "symbol" ? `[${String(k)}]` : identRE.test(k) ? k : quote(k));
  const ctorName = (o) => {
    try {
      const p = getProto(o);
      if (p === null) return null;
      const c = describe(p, "constructor");
      return c && typeof c.value === "function" && c.value.name ? c.value.name : "Object";
    } catch (e) {
      return "Object";
    }
  };
  const fnText = (f) => {
    let name = "";
    try { name = f.name; } catch (e) { /* a hostile getter */ }
    const cls = /^class\b/.test(safeSource(f));
    return cls ? `[class ${name || "(anonymous)"}]` : `[Function: ${name || "(anonymous)"}]`;
  };
  const safeSource = (f) => {
    try { return Function.prototype.toString.call(f).slice(0, 6); } catch (e) { return ""; }
  };

  // inspect renders any value; depth is how many levels of nesting are shown.
  function inspect(value, depth = 2) {
    const seen = [];
    let length = 0; // characters produced so far: past MAX_TEXT, stop
    const render = (v, level, indent) => {
      switch (typeof v) {
        case "string": return quote(v.length > MAX_TEXT ? v.slice(0, MAX_TEXT) + "…" : v);
        case "number": return Object.is(v, -0) ? "-0" : String(v);
        case "bigint": return `${v}n`;
        case "boolean": case "undefined": case "symbol": return String(v);
        case "function": return fnText(v);
      }
      if (v === null) return "null";
      if (seen.includes(v)) return "[Circular]";
      if (length > MAX_TEXT) return "…";
      const tag = toTag.call(v).slice(8, -1);
      const name = ctorName(v);
      if (v instanceof Error) return errorText(v);
      if (tag === "Date") return isNaN(v) ? "Invalid Date" : v.toISOString();
      if (tag === "RegExp") return String(v);
      if (tag === "Promise") return "Promise { … }";
      if (tag === "ArrayBuffer") return `ArrayBuffer { byteLength: ${v.byteLength} }`;
      if (ArrayBuffer.isView(v) && name === "Buffer") {
        const hex = [];
        for (let i = 0; i < Math.min(v.length, MAX_BYTES); i++) hex.push((v[i] < 16 ? "0" : "") + v[i].toString(16));
        return `<Buffer${hex.length ? " " + hex.join(" ") : ""}${v.length > MAX_BYTES ? ` ... ${v.length - MAX_BYTES} more bytes` : ""}>`;
      }
      const isArr = isArray(v);
      if (level > depth) return isArr ? "[Array]" : `[${name || "Object"}]`;
      seen.push(v);
      try {
        const items = [];
        let open, close = "}", prefix = "";
        if (isArr || (ArrayBuffer.isView(v) && tag !== "DataView")) {
          [open, close] = ["[", "]"];
          if (!isArr) prefix = `${name}(${v.length}) `;
          else if (name !== "Array") prefix = `${name}(${v.length}) `;
          const n = Math.min(v.length, MAX_ITEMS);
          for (let i = 0; i < n; i++) items.push(i in v ? render(v[i], level + 1, indent + "  ") : "<empty>");
          if (v.length > MAX_ITEMS) items.push(`... ${v.length - MAX_ITEMS} more item${v.length - MAX_ITEMS > 1 ? "s" : ""}`);
        } else if (tag === "Map" || tag === "Set") {
          open = "{";
          prefix = `${name}(${v.size}) `;
          let i = 0;
          for (const e of v) {
            if (i++ === MAX_ITEMS) { items.push(`... ${v.size - MAX_ITEMS} more items`); break; }
            items.push(tag === "Map" ? `${render(e[0], level + 1, indent + "  ")} => ${render(e[1], level + 1, indent + "  ")}` : render(e, level + 1, indent + "  "));
          }
        } else {
          open = "{";
          if (name === null) prefix = "[Object: null prototype] ";
          else if (name !== "Object") prefix = name + " ";
        }
        // Own enumerable properties; getters are named, not called. Indexes
        // of arrays and typed arrays were shown above.
        const indexed = isArr || ArrayBuffer.isView(v);
        // Listing the keys of a long array would list every index: skip its extras.
        for (const k of indexed && v.length > MAX_ITEMS ? [] : ownKeys(v)) {
          if (indexed && typeof k === "string" && (k === "length" || String(k >>> 0) === k)) continue;
          const d = describe(v, k);
          if (!d || !d.enumerable) continue;
          let shown;
          if (d.get || d.set) shown = d.get && d.set ? "[Getter/Setter]" : d.get ? "[Getter]" : "[Setter]";
          else shown = render(d.value, level + 1, indent + "  ");
          items.push(`${keyText(k)}: ${shown}`);
          if (length > MAX_TEXT || items.length > MAX_ITEMS * 10) { items.push("…"); break; }
        }
        if (items.length === 0) return prefix + open + close;
        let out = `${prefix}${open} ${items.join(", ")} ${close}`;
        if (out.length > BREAK_AT || out.includes("\n")) {
          out = `${prefix}${open}\n${indent}  ${items.join(`,\n${indent}  `)}\n${indent}${close}`;
        }
        length += out.length;
        return out;
      } finally {
        seen.pop();
      }
    };
    return render(value, 0, "");
  }

  const errorText = (e) => {
    try {
      const s = e.stack;
      if (typeof s === "string" && s) return s;
    } catch (x) { /* a hostile getter */ }
    try { return String(e); } catch (x) { return "[Error]"; }
  };

  const text = (v) => {
    if (typeof v === "string") return v;
    if (v instanceof Error) return errorText(v);
    return inspect(v);
  };

  // format follows Node's util.format: %s %d %i %f %j %o %O %c %%, then
  // the remaining arguments separated by spaces.
  function format(args) {
    let out = "";
    let i = 0;
    if (typeof args[0] === "string" && args.length > 1 && args[0].includes("%")) {
      i = 1;
      out = args[0].replace(/%([sdifjoOc%])/g, (m, c) => {
        if (c === "%") return "%";
        if (i >= args.length) return m;
        const a = args[i++];
        switch (c) {
          case "s": return typeof a === "string" ? a : typeof a === "bigint" ? `${a}n` : typeof a === "object" && a !== null ? inspect(a, 1) : String(a);
          case "d": return typeof a === "bigint" ? `${a}n` : typeof a === "object" ? "NaN" : String(Number(a));
          case "i": return typeof a === "bigint" ? `${a}n` : typeof a === "object" ? "NaN" : String(parseInt(a));
          case "f": return typeof a === "symbol" ? "NaN" : String(parseFloat(a));
          case "j": try { return String(stringify(a)); } catch (e) { return "[Circular]"; }
          case "o": case "O": return inspect(a, c === "o" ? 4 : 2);
          case "c": return "";
        }
      });
    }
    for (; i < args.length; i++) {
      out += (out || i ? " " : "") + text(args[i]);
      if (out.length > MAX_TEXT) break;
    }
    return out;
  }

  const makeConsole = () => {
    const c = {};
    const line = (level) => function (...args) { emit(level, format(args)); };
    c.log = line("info");
    c.info = line("info");
    c.warn = line("warn");
    c.error = line("error");
    c.debug = line("debug");
    c.trace = function (...args) {
      const stack = (new Error().stack || "").split("\n").slice(2).join("\n");
      emit("debug", "Trace" + (args.length ? ": " + format(args) : "") + "\n" + stack);
    };
    c.dir = function (v, opts) { emit("info", inspect(v, opts && opts.depth !== undefined ? opts.depth : 2)); };
    c.assert = function (ok, ...args) {
      if (!ok) emit("error", "Assertion failed" + (args.length ? ": " + format(args) : ""));
    };
    return c;
  };

  return { makeConsole, inspect, format };
})
