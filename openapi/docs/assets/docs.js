// ScriptForge API reference: renders an OpenAPI 3.1 document fetched
// from this origin. Everything is built with DOM calls and textContent,
// never innerHTML, so nothing in a document (a function's schema is a
// tenant's text) can become markup or script.
"use strict";

(function () {
  const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];

  // el builds an element: el("p", {class: "x"}, "text", child, …).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v !== undefined && v !== null) e.setAttribute(k, v);
    }
    for (const c of children.flat()) {
      if (c === undefined || c === null || c === false) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  // specURL is the document to show: ?spec=/path on this origin, else
  // the gateway's own. Anything that is not a same-origin path is ignored.
  function specURL() {
    const p = new URLSearchParams(location.search).get("spec");
    if (p && p.startsWith("/") && !p.startsWith("//") && !p.includes("\\")) return p;
    return "/openapi.json";
  }

  // inline renders `code`, **bold** and [text](/relative) links of a line.
  function inline(text) {
    const out = [];
    const re = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
    let last = 0, m;
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) out.push(text.slice(last, m.index));
      if (m[1] !== undefined) out.push(el("code", {}, m[1]));
      else if (m[2] !== undefined) out.push(el("strong", {}, m[2]));
      else if (/^(\/(?!\/)|#)/.test(m[4])) out.push(el("a", { href: m[4] }, m[3]));
      else out.push(`${m[3]} (${m[4]})`); // links to other hosts stay text
      last = re.lastIndex;
    }
    if (last < text.length) out.push(text.slice(last));
    return out;
  }

  // markdown renders the small subset descriptions use: paragraphs,
  // ## headings, - lists and the inline forms above.
  function markdown(text) {
    const box = el("div", { class: "md" });
    if (!text) return box;
    for (const block of String(text).split(/\n{2,}/)) {
      const lines = block.split("\n");
      if (lines.every((l) => /^\s*[-*] /.test(l))) {
        box.append(el("ul", {}, lines.map((l) => el("li", {}, inline(l.replace(/^\s*[-*] /, ""))))));
      } else if (/^#{1,4} /.test(block)) {
        box.append(el("h4", {}, inline(block.replace(/^#+ /, ""))));
      } else if (/^```/.test(block)) {
        box.append(el("pre", {}, block.replace(/^```\w*\n?|```$/g, "")));
      } else {
        box.append(el("p", {}, inline(block)));
      }
    }
    return box;
  }

  // resolve follows a local $ref ("#/components/schemas/X").
  function resolve(doc, ref) {
    if (typeof ref !== "string" || !ref.startsWith("#/")) return undefined;
    let cur = doc;
    for (const raw of ref.slice(2).split("/")) {
      const tok = raw.replace(/~1/g, "/").replace(/~0/g, "~");
      if (cur === null || typeof cur !== "object" || !(tok in cur)) return undefined;
      cur = cur[tok];
    }
    return cur;
  }

  function refName(ref) {
    return ref.split("/").pop();
  }

  function typeText(s) {
    if (s === true) return "any";
    if (s === false) return "nothing";
    if (!s || typeof s !== "object") return "";
    if (s.$ref) return refName(s.$ref);
    let t = Array.isArray(s.type) ? s.type.join(" | ") : s.type || "";
    if (t === "array" && s.items) t = `array of ${typeText(s.items) || "any"}`;
    if (!t && s.properties) t = "object";
    if (!t && (s.allOf || s.anyOf || s.oneOf)) t = s.allOf ? "all of" : s.anyOf ? "any of" : "one of";
    return t || "any";
  }

  // shownInOp holds the $refs already expanded in the operation being
  // rendered: the error shape, shared by most responses, is expanded once
  // and then only linked.
  let shownInOp = null;

  const FACETS = ["format", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "minLength", "maxLength", "minItems", "maxItems", "uniqueItems", "default", "const"];

  function facets(s) {
    const out = [];
    for (const k of FACETS) if (s[k] !== undefined) out.push(el("span", { class: "facet" }, `${k}: ${JSON.stringify(s[k])}`));
    if (Array.isArray(s.enum)) out.push(el("span", { class: "facet" }, "one of: " + s.enum.map((v) => JSON.stringify(v)).join(", ")));
    return out;
  }

  // schema renders a schema as nested lists of properties, expanding
  // $refs up to a depth (and never one already open above: schemas may
  // be recursive).
  function schema(doc, s, depth, open, typeShown) {
    const box = el("div", { class: "schema" });
    if (s === undefined) return box;
    if (typeof s !== "object" || s === null) {
      box.append(el("span", { class: "type" }, typeText(s)));
      return box;
    }
    if (s.$ref) {
      const name = refName(s.$ref);
      const link = s.$ref.startsWith("#/components/schemas/")
        ? el("a", { href: "#schema-" + name, class: "type" }, name)
        : el("span", { class: "type" }, name);
      if (!typeShown) box.append(link); // a property's line already names it
      const target = resolve(doc, s.$ref);
      const again = shownInOp !== null && shownInOp.has(s.$ref);
      if (shownInOp !== null) shownInOp.add(s.$ref);
      if (target && depth > 0 && !open.has(s.$ref) && !again) {
        const next = new Set(open).add(s.$ref);
        box.append(schema(doc, target, depth - 1, next));
      }
      return box;
    }
    if (s.description) box.append(markdown(s.description));
    const f = facets(s);
    if (f.length) box.append(el("div", { class: "facets" }, f));
    if (s.properties) {
      const req = new Set(s.required || []);
      const rows = Object.entries(s.properties).map(([name, p]) =>
        el("li", {},
          el("code", { class: "prop" }, name), " ",
          el("span", { class: "type" }, typeText(p)),
          req.has(name) ? el("span", { class: "req" }, "required") : null,
          typeof p === "object" && p !== null && (p.properties || p.items || p.$ref || p.allOf || p.anyOf || p.oneOf || p.description || p.enum)
            ? schema(doc, p, depth - 1, open, true) : null));
      box.append(el("ul", { class: "props" }, rows));
      if (s.additionalProperties === false) box.append(el("div", { class: "note" }, "No other properties."));
    } else if ((s.type || s.items) && !typeShown) {
      box.append(el("span", { class: "type" }, typeText(s)));
    }
    // An array of plain strings is said by its type; items worth a look
    // (objects, references, combinations) are shown.
    const it = s.items;
    if (it && typeof it === "object" && depth > 0 && (it.properties || it.allOf || it.anyOf || it.oneOf || it.enum || it.description || (it.$ref && !typeShown))) {
      box.append(el("div", { class: "sub" }, "items: ", schema(doc, s.items, depth - 1, open)));
    }
    if (s.additionalProperties && typeof s.additionalProperties === "object" && depth > 0) {
      box.append(el("div", { class: "sub" }, "other properties: ", schema(doc, s.additionalProperties, depth - 1, open)));
    }
    for (const k of ["allOf", "anyOf", "oneOf"]) {
      if (Array.isArray(s[k])) {
        box.append(el("div", { class: "sub" }, k + ":", el("ol", {}, s[k].map((x) => el("li", {}, schema(doc, x, depth - 1, open))))));
      }
    }
    if (s.not) box.append(el("div", { class: "sub" }, "not: ", schema(doc, s.not, depth - 1, open)));
    return box;
  }

  function content(doc, c) {
    if (!c) return null;
    return el("div", { class: "content" }, Object.entries(c).map(([type, media]) =>
      el("div", {}, el("span", { class: "media" }, type), schema(doc, media.schema, 3, new Set()))));
  }

  function deref(doc, x) {
    for (let i = 0; i < 10 && x && x.$ref; i++) x = resolve(doc, x.$ref);
    return x || {};
  }

  function parameters(doc, list) {
    if (!list || !list.length) return null;
    return el("section", {}, el("h4", {}, "Parameters"),
      el("ul", { class: "props" }, list.map((p) => {
        p = deref(doc, p);
        return el("li", {}, el("code", { class: "prop" }, p.name), " ",
          el("span", { class: "in" }, p.in), " ",
          el("span", { class: "type" }, typeText(p.schema)),
          p.required ? el("span", { class: "req" }, "required") : null,
          markdown(p.description));
      })));
  }

  function responses(doc, rs) {
    return el("section", {}, el("h4", {}, "Responses"),
      el("ul", { class: "responses" }, Object.entries(rs || {}).map(([code, r]) => {
        const name = r.$ref ? refName(r.$ref) : null;
        r = deref(doc, r);
        const hdrs = Object.keys(r.headers || {});
        return el("li", {},
          el("span", { class: "status s" + code[0] }, code), " ",
          name ? el("span", { class: "note" }, name) : null,
          markdown(r.description),
          hdrs.length ? el("div", { class: "note" }, "Headers: ", hdrs.join(", ")) : null,
          content(doc, r.content));
      })));
  }

  function operation(doc, path, method, op, common) {
    const id = "op-" + (op.operationId || method + path).replace(/[^A-Za-z0-9_-]/g, "-");
    const params = [...(common || []), ...(op.parameters || [])];
    const body = op.requestBody ? deref(doc, op.requestBody) : null;
    const sec = op.security !== undefined ? op.security : doc.security;
    shownInOp = new Set();
    const node = el("article", { class: "op", id },
      el("h3", {}, el("span", { class: "method m-" + method }, method.toUpperCase()), " ", el("code", {}, path)),
      op.summary ? el("p", { class: "summary" }, op.summary) : null,
      el("p", { class: "note" }, sec && sec.length ? "Auth: " + sec.map((s) => Object.keys(s).join(" + ")).join(" or ") : "Auth: none"),
      markdown(op.description),
      parameters(doc, params),
      body ? el("section", {}, el("h4", {}, "Request body" + (body.required ? "" : " (optional)")),
        markdown(body.description), content(doc, body.content)) : null,
      responses(doc, op.responses));
    shownInOp = null;
    return node;
  }

  function render(doc, url) {
    const main = document.getElementById("doc");
    const toc = document.getElementById("toc");
    main.replaceChildren();
    toc.replaceChildren();
    const info = doc.info || {};
    document.title = (info.title || "API") + " — reference";
    main.append(el("h1", {}, info.title || "API", " ", el("span", { class: "version" }, info.version || "")),
      el("p", { class: "note" }, "OpenAPI ", doc.openapi || "?", " · ", el("a", { href: url }, url)));
    if (info.summary) main.append(el("p", { class: "summary" }, info.summary));
    main.append(markdown(info.description));
    const schemes = (doc.components || {}).securitySchemes || {};
    if (Object.keys(schemes).length) {
      main.append(el("h2", { id: "auth" }, "Authentication"),
        el("ul", {}, Object.entries(schemes).map(([n, s]) =>
          el("li", {}, el("code", {}, n), ` ${s.type}${s.scheme ? " " + s.scheme : ""}${s.bearerFormat ? " (" + s.bearerFormat + ")" : ""}`, markdown(s.description)))));
    }

    // Operations grouped by their first tag, in the document's tag order.
    const groups = new Map((doc.tags || []).map((t) => [t.name, { tag: t, ops: [] }]));
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const m of METHODS) {
        const op = item[m];
        if (!op) continue;
        const tag = (op.tags && op.tags[0]) || "operations";
        if (!groups.has(tag)) groups.set(tag, { tag: { name: tag }, ops: [] });
        groups.get(tag).ops.push([path, m, op, item.parameters]);
      }
    }
    for (const { tag, ops } of groups.values()) {
      if (!ops.length) continue;
      const gid = "tag-" + tag.name.replace(/[^A-Za-z0-9_-]/g, "-");
      main.append(el("h2", { id: gid }, tag.name), markdown(tag.description));
      const items = [];
      for (const [path, m, op, common] of ops) {
        const node = operation(doc, path, m, op, common);
        main.append(node);
        items.push(el("li", {}, el("a", { href: "#" + node.id }, el("span", { class: "method m-" + m }, m.toUpperCase()), " ", path)));
      }
      toc.append(el("h3", {}, el("a", { href: "#" + gid }, tag.name)), el("ul", {}, items));
    }

    const schemas = (doc.components || {}).schemas || {};
    if (Object.keys(schemas).length) {
      main.append(el("h2", { id: "schemas" }, "Schemas"));
      for (const [name, s] of Object.entries(schemas)) {
        main.append(el("article", { class: "op", id: "schema-" + name }, el("h3", {}, el("code", {}, name)), schema(doc, s, 2, new Set())));
      }
      toc.append(el("h3", {}, el("a", { href: "#schemas" }, "Schemas")));
    }
    if (location.hash) {
      const target = document.getElementById(location.hash.slice(1));
      if (target) target.scrollIntoView();
    }
  }

  function setup() {
    const form = document.getElementById("fn-form");
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const uuid = document.getElementById("fn-uuid").value.trim();
      if (/^[0-9a-fA-F-]{36}$/.test(uuid)) location.search = "?spec=" + encodeURIComponent(`/v1/fn/${uuid}/openapi.json`);
    });
    const url = specURL();
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((r) => r.json().then((body) => {
        if (!r.ok) throw new Error((body.error && body.error.message) || `HTTP ${r.status}`);
        return body;
      }))
      .then((doc) => render(doc, url))
      .catch((err) => {
        document.getElementById("status").textContent = `Could not load ${url}: ${err.message}`;
      });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
