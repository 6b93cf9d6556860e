// The function list (#/): search by name or id, filter by type and
// status, and create a function from a template.
import { api } from "./api.js";
import { h, replace, field, notify, formatTime } from "./dom.js";
import { can, lacks } from "./scopes.js";
import { templates } from "./templates.js";

export function listPage(main) {
  const search = h("input", { type: "search", placeholder: "name or File ID" });
  const type = h("select", {}, ...["all", "script", "app", "worker"].map((t) => h("option", { value: t }, t)));
  const status = h("select", {}, ...["all", "active", "quarantined"].map((t) => h("option", { value: t }, t)));
  const body = h("div", { class: "fnlist", "aria-live": "polite" }, h("p", {}, "Loading…"));
  let all = [];

  const render = () => {
    const q = search.value.trim().toLowerCase();
    const rows = all.filter((f) =>
      (!q || f.name.toLowerCase().includes(q) || f.id.includes(q) || f.uuid.includes(q)) &&
      (type.value === "all" || f.type === type.value) &&
      (status.value === "all" || statusOf(f) === status.value));
    if (!all.length) return replace(body, h("p", {}, "No functions yet: create one from a template."));
    if (!rows.length) return replace(body, h("p", {}, "No function matches."));
    replace(body, h("table", {},
      h("thead", {}, h("tr", {}, ...["Name", "Type", "Status", "Live version", "Updated"].map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, ...rows.map((f) => h("tr", {},
        h("td", {}, h("a", { href: `#/fn/${encodeURIComponent(f.id)}/code`, class: "fnlink" }, f.name)),
        h("td", {}, h("span", { class: "badge t-" + f.type }, f.type)),
        h("td", {}, statusOf(f)),
        h("td", {}, `v${f.version} of ${f.latest_version}`),
        h("td", {}, formatTime(f.updated_at)))))));
  };
  for (const el of [search, type, status]) el.addEventListener("input", render);

  replace(main,
    h("section", { class: "list", "aria-labelledby": "list-title" },
      h("div", { class: "list-head" },
        h("h1", { id: "list-title" }, "Functions"),
        h("div", { class: "filters" }, field("Search", search), field("Type", type), field("Status", status))),
      body),
    createForm());

  if (!can("functions:read")) {
    replace(body, lacks("functions:read", "listing functions"));
  } else {
    api("GET", "/v1/functions").then((r) => { all = r.functions; render(); })
      .catch((err) => { replace(body, h("p", { class: "error" }, err.message)); notify(err.message, "error"); });
  }
  search.focus();
  return null;
}

function statusOf(f) {
  return f.quarantine ? "quarantined" : "active";
}

// createForm deploys a new function from a template, then opens it.
function createForm() {
  const section = h("section", { class: "create", "aria-labelledby": "create-title" }, h("h2", { id: "create-title" }, "New function"));
  if (!can("functions:write")) return section.append(lacks("functions:write", "creating functions")), section;
  const name = h("input", { type: "text", required: true, placeholder: "my-function", autocomplete: "off" });
  const choices = templates.map((t, i) => {
    const input = h("input", { type: "radio", name: "template", value: t.id, id: "tpl-" + t.id, checked: i === 0 });
    return h("div", { class: "tpl" }, input, h("label", { for: input.id }, h("b", {}, t.label), h("small", {}, t.hint)));
  });
  const submit = h("button", { type: "submit", class: "primary" }, "Create");
  const form = h("form", {}, field("Name", name), h("fieldset", {}, h("legend", {}, "Template"), ...choices), submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const t = templates.find((x) => x.id === form.elements.template.value);
    submit.disabled = true;
    try {
      const f = await api("POST", "/v1/functions", { name: name.value.trim(), type: t.type, source: t.source });
      notify(`Created ${f.name} (${t.label}).`);
      location.hash = `#/fn/${encodeURIComponent(f.id)}/code`;
    } catch (err) {
      notify(err.message, "error");
      if (err.field === "name") name.focus();
    } finally {
      submit.disabled = false;
    }
  });
  section.append(form);
  return section;
}
