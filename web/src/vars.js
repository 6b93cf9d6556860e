// The Variables tab: plain values are shown and edited; protected and
// private ones come back from the API as names only, so the page can
// keep them (sent without a value) or replace them, never show them.
import { api, enc } from "./api.js";
import { h, replace, notify } from "./dom.js";
import { can, lacks } from "./scopes.js";

const flags = ["plain", "protected", "private"];

export function varsTab(panel, state) {
  const render = () => {
    const f = state.fn;
    const ro = !can("functions:write");
    const rows = h("tbody", {});
    const addRow = (v = { name: "", flag: "plain" }, existing = false) => {
      const name = h("input", { type: "text", value: v.name, "aria-label": "Variable name", readonly: existing, disabled: ro, class: "var-name", autocomplete: "off" });
      const flag = h("select", { "aria-label": "Flag", disabled: ro, class: "var-flag" }, ...flags.map((x) => h("option", { value: x, selected: x === v.flag }, x)));
      const hidden = existing && v.flag !== "plain";
      const value = h("input", {
        type: v.flag === "plain" ? "text" : "password", value: v.value ?? "", disabled: ro, class: "var-value", autocomplete: "off",
        "aria-label": "Value", placeholder: hidden ? "(set; never shown: type to replace)" : "",
      });
      flag.addEventListener("change", () => { value.type = flag.value === "plain" ? "text" : "password"; });
      const tr = h("tr", {}, h("td", {}, name), h("td", {}, flag), h("td", {}, value),
        h("td", {}, h("button", { type: "button", class: "small", disabled: ro, onclick: () => tr.remove() }, "Remove")));
      tr.dataset.existing = existing ? v.flag : "";
      rows.append(tr);
      return name;
    };
    for (const v of f.env) addRow(v, true);
    const add = h("button", { type: "button", disabled: ro, id: "add-var", onclick: () => addRow().focus() }, "Add variable");
    const submit = h("button", { type: "submit", class: "primary", disabled: ro, id: "save-vars" }, "Save variables");
    const form = h("form", { class: "vars" },
      ro ? lacks("functions:write", "changing variables") : null,
      h("p", { class: "muted" }, "process.env of the function. plain: shown here; protected: write-only once set; private: never shown back and masked in console output. Saving deploys a new version."),
      h("table", {}, h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Name"), h("th", { scope: "col" }, "Flag"), h("th", { scope: "col" }, "Value"), h("th", {}, ""))), rows),
      h("div", { class: "toolbar" }, add, submit));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const env = {};
      for (const tr of rows.children) {
        const [name, flag, value] = ["var-name", "var-flag", "var-value"].map((c) => tr.querySelector("." + c));
        const n = name.value.trim();
        if (!n) continue;
        // A kept secret goes without its value: the gateway keeps it.
        env[n] = value.value === "" && tr.dataset.existing && tr.dataset.existing !== "plain" ? { flag: flag.value } : { value: value.value, flag: flag.value };
      }
      submit.disabled = true;
      try {
        await api("PUT", `/v1/functions/${enc(f.id)}`, { env });
        await state.reload();
        notify("Variables saved.");
      } catch (err) {
        notify(err.message, "error");
        submit.disabled = false;
      }
    });
    replace(panel, form);
  };
  render();
  state.onReload(render);
  return {};
}
