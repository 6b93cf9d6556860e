// Small DOM helpers: the page builds its elements in code (no inline
// HTML, no innerHTML of API data), so nothing the API returns is ever
// parsed as markup.

// h makes an element: h("button", {class: "x", onclick: fn}, "text", child).
// Keys starting with "on" add listeners; value, checked, disabled and
// hidden are set as properties; anything else is an attribute.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden") el[k] = v;
    else el.setAttribute(k === "className" ? "class" : k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
}

// replace swaps an element's children for new ones.
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let uid = 0;
// field is a label with its control, tied by id, for keyboard and
// screen-reader use.
export function field(label, control, hint) {
  if (!control.id) control.id = "f" + ++uid;
  return h("div", { class: "field" },
    h("label", { for: control.id }, label),
    control,
    hint ? h("small", { class: "hint" }, hint) : null);
}

// Messages: every failed action ends here, so none is silently lost.
let box;
export function messages(el) { box = el; }

// clearMessages removes every message (a new sign-in starts afresh).
export function clearMessages() { if (box) box.replaceChildren(); }

// notify shows a message; errors stay until dismissed, others fade.
export function notify(text, kind = "info") {
  if (!box) return;
  const close = h("button", { class: "link", "aria-label": "Dismiss message" }, "×");
  const m = h("div", { class: "msg msg-" + kind, role: kind === "error" ? "alert" : "status" }, h("span", {}, text), close);
  close.addEventListener("click", () => m.remove());
  box.append(m);
  while (box.children.length > 3) box.firstElementChild.remove();
  if (kind !== "error") setTimeout(() => m.remove(), 5000);
  return m;
}

export function formatMS(ms) {
  if (ms === undefined || ms === null) return "–";
  return ms < 10 ? ms.toFixed(2) + " ms" : ms < 1000 ? ms.toFixed(1) + " ms" : (ms / 1000).toFixed(2) + " s";
}

export function formatTime(t) {
  const d = new Date(t);
  return isNaN(d) ? "" : d.toLocaleString();
}
