// One function's pages (#/fn/<id>/<tab>): its identity with the copy
// buttons and a curl line, and tabs for the code, settings, variables,
// versions, runs and live logs. Tabs are built once and kept, so an
// unsaved edit survives a look at the runs.
import { api, enc } from "./api.js";
import { h, replace, notify } from "./dom.js";
import { can, lacks } from "./scopes.js";
import { codeTab } from "./code.js";
import { settingsTab } from "./settings.js";
import { varsTab } from "./vars.js";
import { versionsTab } from "./versions.js";
import { runsTab } from "./runs.js";
import { logsTab } from "./logs.js";

const tabs = [
  ["code", "Code", codeTab],
  ["settings", "Settings", settingsTab],
  ["variables", "Variables", varsTab],
  ["versions", "Versions", versionsTab],
  ["runs", "Runs", runsTab],
  ["logs", "Logs", logsTab],
];

export function functionPage(main, id, first) {
  if (!can("functions:read")) {
    replace(main, h("section", {}, h("h1", {}, "Function"), lacks("functions:read", "opening a function")));
    return null;
  }
  replace(main, h("p", {}, "Loading…"));
  const cleanups = [];
  let closed = false;
  const state = {
    id, fn: null, listeners: [],
    // reload fetches the function again and tells every tab.
    async reload() {
      state.fn = await api("GET", `/v1/functions/${enc(id)}`);
      renderHead();
      for (const l of state.listeners) l(state.fn);
      return state.fn;
    },
    onReload(fn) { state.listeners.push(fn); },
    onClose(fn) { cleanups.push(fn); },
  };
  const head = h("div", { class: "fnhead" });
  const renderHead = () => replace(head, ...identity(state.fn));
  const bar = h("div", { role: "tablist", class: "tabs", "aria-label": "Function pages" });
  const panels = h("div", { class: "panels" });
  const built = {};

  const show = (name) => {
    if (!tabs.some(([t]) => t === name)) name = "code";
    history.replaceState(null, "", `#/fn/${enc(id)}/${name}`);
    for (const b of bar.children) {
      const on = b.dataset.tab === name;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
    }
    for (const [t, , make] of tabs) {
      if (t === name && !built[t]) {
        const panel = h("div", { role: "tabpanel", id: "panel-" + t, "aria-labelledby": "tab-" + t, class: "panel" });
        panels.append(panel);
        built[t] = { panel, tab: make(panel, state) || {} };
      }
      if (built[t]) {
        built[t].panel.hidden = t !== name;
        if (t === name && built[t].tab.shown) built[t].tab.shown();
      }
    }
  };
  for (const [t, label] of tabs) {
    const b = h("button", { type: "button", role: "tab", id: "tab-" + t, "aria-controls": "panel-" + t, class: "tab", onclick: () => show(t) }, label);
    b.dataset.tab = t;
    b.addEventListener("keydown", (e) => { // arrow keys move between tabs
      const i = tabs.findIndex(([x]) => x === t);
      const j = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : -1;
      if (j >= 0 && j < tabs.length) { show(tabs[j][0]); bar.children[j].focus(); }
    });
    bar.append(b);
  }

  state.reload().then(() => {
    if (closed) return;
    replace(main, h("section", { class: "fn", "aria-label": "Function " + state.fn.name }, head, bar, panels));
    show(first);
  }).catch((err) => {
    replace(main, h("section", {}, h("h1", {}, "Function"), h("p", { class: "error" }, err.message), h("a", { href: "#/" }, "Back to the list")));
    notify(err.message, "error");
  });
  return () => { closed = true; for (const c of cleanups) c(); };
}

// identity is the head of the page: name, type, live version, the File
// ID and UUID with their copy buttons, and the URL with a curl line.
function identity(f) {
  const curl = `curl -s ${f.url} -H 'Content-Type: application/json' -d '{"routing":{}}'` +
    (f.auth === "apikey" ? ` -H "Authorization: Bearer $SCRIPTFORGE_KEY"` : f.auth === "jwt" ? ` -H "Authorization: Bearer $JWT"` : "");
  return [
    h("div", { class: "title" },
      h("h1", {}, f.name),
      h("span", { class: "badge t-" + f.type }, f.type),
      h("span", { class: "badge" }, `live v${f.version} of ${f.latest_version}`),
      f.quarantine ? h("span", { class: "badge bad" }, "quarantined") : null,
      h("a", { href: "#/", class: "back" }, "All functions")),
    h("dl", { class: "ids" },
      h("dt", {}, "File ID"), h("dd", {}, h("code", { id: "file-id" }, f.id), copyButton("Copy File ID", f.id, "copy-id")),
      h("dt", {}, "UUID"), h("dd", {}, h("code", { id: "fn-uuid" }, f.uuid), copyButton("Copy UUID", f.uuid, "copy-uuid")),
      h("dt", {}, "URL"), h("dd", {}, h("code", {}, f.url), copyButton("Copy URL", f.url)),
      h("dt", {}, "curl"), h("dd", {}, h("code", { class: "curl" }, curl), copyButton("Copy curl", curl))),
  ];
}

function copyButton(label, text, id) {
  return h("button", {
    type: "button", class: "small", id,
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(text);
        notify(`${label.replace("Copy ", "")} copied to the clipboard.`);
      } catch (err) {
        notify(`Could not copy (${err.message}): select the text and copy it by hand.`, "error");
      }
    },
  }, label);
}
