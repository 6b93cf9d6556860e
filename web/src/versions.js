// The Versions tab: every version, a diff of one against the live
// version, and rollback (which makes an older version live again).
import { api, enc } from "./api.js";
import { h, replace, notify, formatTime } from "./dom.js";
import { can, lacks } from "./scopes.js";
import { diffLines } from "./diff.js";

export function versionsTab(panel, state) {
  const list = h("div", {}, h("p", {}, "Loading…"));
  const diffBox = h("section", { class: "diff", id: "diff", "aria-live": "polite", "aria-label": "Diff" });
  replace(panel, h("div", { class: "versions" }, h("h2", {}, "Versions"),
    can("functions:write") ? null : lacks("functions:write", "rolling back"), list, diffBox));
  const source = async (n) => (await api("GET", `/v1/functions/${enc(state.id)}/versions/${n}`)).source || "";

  async function showDiff(v, live) {
    replace(diffBox, h("p", {}, "Loading…"));
    try {
      const [a, b] = await Promise.all([source(live), source(v.version)]);
      const d = diffLines(a, b);
      const changed = d ? d.filter((l) => l.op !== " ").length : -1;
      replace(diffBox, h("h3", {}, `v${v.version} against live v${live}`),
        d === null ? h("p", {}, "Too long to diff here.") : changed === 0 ? h("p", {}, "Same source as the live version.")
          : h("pre", { class: "difftext" }, ...d.map((l) => h("span", { class: "d" + (l.op === "+" ? "add" : l.op === "-" ? "del" : "eq") }, l.op + " " + l.text + "\n"))));
    } catch (err) {
      replace(diffBox, h("p", { class: "error" }, err.message));
      notify(err.message, "error");
    }
  }

  async function load() {
    try {
      const { versions } = await api("GET", `/v1/functions/${enc(state.id)}/versions`);
      const live = (versions.find((v) => v.live) || {}).version;
      replace(list, h("table", {},
        h("thead", {}, h("tr", {}, ...["Version", "Type", "Created", "Timeout", "Memory", "Variables", ""].map((c) => h("th", { scope: "col" }, c)))),
        h("tbody", {}, ...versions.map((v) => h("tr", { class: v.live ? "live" : "" },
          h("td", {}, `v${v.version}`, v.live ? h("span", { class: "badge" }, "live") : null),
          h("td", {}, v.type), h("td", {}, formatTime(v.created_at)), h("td", {}, v.timeout_ms + " ms"), h("td", {}, v.memory_mb + " MB"),
          h("td", {}, v.env.map((e) => e.name).join(", ")),
          h("td", { class: "rowacts" },
            v.live ? null : h("button", { type: "button", class: "small", "data-diff": v.version, onclick: () => showDiff(v, live) }, `Diff v${v.version} with live`),
            v.live || !can("functions:write") ? null : h("button", { type: "button", class: "small", "data-rollback": v.version, onclick: () => rollback(v.version) }, `Roll back to v${v.version}`)))))));
    } catch (err) {
      replace(list, h("p", { class: "error" }, err.message));
      notify(err.message, "error");
    }
  }

  async function rollback(n) {
    try {
      await api("POST", `/v1/functions/${enc(state.id)}/rollback`, { version: n });
      await state.reload();
      notify(`Version ${n} is live again.`);
      replace(diffBox);
      await load();
    } catch (err) {
      notify(err.message, "error");
    }
  }

  return { shown: load };
}
