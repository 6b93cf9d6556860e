// The Runs tab: the function's recent runs, newest first, filtered by
// outcome or status, each with its console lines and error.
import { api, enc } from "./api.js";
import { h, replace, field, notify, formatTime, formatMS } from "./dom.js";
import { addLine } from "./code.js";

const filters = [["", "all"], ["ok", "ok"], ["error", "error"], ["cancelled", "cancelled"], ["4xx", "4xx"], ["5xx", "5xx"]];

export function runsTab(panel, state) {
  const status = h("select", { id: "runs-status" }, ...filters.map(([v, l]) => h("option", { value: v }, l)));
  const refresh = h("button", { type: "button", id: "runs-refresh" }, "Refresh");
  const list = h("div", { class: "runs", "aria-live": "polite" });
  replace(panel, h("div", { class: "toolbar" }, field("Status", status), refresh), list);

  // load reads the first page, or with a cursor the next one, which
  // goes below the rows already shown.
  async function load(cursor) {
    if (!cursor) replace(list, h("p", {}, "Loading…"));
    try {
      const q = new URLSearchParams({ limit: "50" });
      if (status.value) q.set("status", status.value);
      if (cursor) q.set("cursor", cursor);
      const { runs, next_cursor: next } = await api("GET", `/v1/functions/${enc(state.id)}/runs?${q}`);
      if (!runs.length && !cursor) return replace(list, h("p", {}, "No runs" + (status.value ? " with that status" : "") + " yet. Quiet successful runs are sampled; failed runs and runs that log are always kept."));
      const more = next ? h("button", { type: "button", id: "runs-more", onclick: (e) => { e.target.remove(); load(next); } }, "Older runs") : null;
      const body = h("tbody", {}, ...rows(runs));
      if (cursor) {
        list.querySelector("tbody").append(...body.children);
        if (more) list.append(more);
        return;
      }
      replace(list, h("table", {},
        h("thead", {}, h("tr", {}, ...["Started", "Status", "Duration", "CPU", "Trigger", "Version", "Request", ""].map((c) => h("th", { scope: "col" }, c)))),
        body), more);
    } catch (err) {
      if (!cursor) replace(list, h("p", { class: "error" }, err.message));
      notify(err.message, "error");
    }
  }
  status.addEventListener("change", () => load());
  refresh.addEventListener("click", () => load());
  return { shown: () => load() };
}

function rows(runs) {
  return runs.flatMap((r) => {
    const detail = h("tr", { class: "rundetail", hidden: true }, h("td", { colspan: 8 }));
    const toggle = h("button", { type: "button", class: "small", "aria-expanded": "false", "data-run": r.request_id }, "Logs");
    toggle.addEventListener("click", () => {
      detail.hidden = !detail.hidden;
      toggle.setAttribute("aria-expanded", String(!detail.hidden));
      if (!detail.hidden) replace(detail.firstChild, runDetail(r));
    });
    return [h("tr", { class: r.status >= 400 ? "bad" : "" },
      h("td", {}, formatTime(r.started_at)), h("td", {}, String(r.status), r.error_code ? ` ${r.error_code}` : ""),
      h("td", {}, formatMS(r.duration_us / 1000)), h("td", {}, formatMS(r.cpu_us / 1000)), h("td", {}, r.trigger),
      h("td", {}, `v${r.version}`), h("td", {}, h("code", {}, r.request_id)), h("td", {}, toggle)), detail];
  });
}

function runDetail(r) {
  const lines = h("ol", { class: "lines" });
  for (const l of r.logs || []) addLine(lines, l);
  return h("div", { class: "runlogs" },
    r.logs && r.logs.length ? lines : h("p", { class: "muted" }, "No console output."),
    r.error ? h("pre", { class: "body error" }, r.error) : null);
}
