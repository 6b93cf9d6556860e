// The Logs tab: follows the function's console lines live
// (GET /v1/functions/{id}/logs?follow=1, an event stream read with fetch).
import { request, enc } from "./api.js";
import { h, replace, field, notify } from "./dom.js";
import { readEvents } from "./sse.js";
import { addLine } from "./code.js";

export function logsTab(panel, state) {
  const lines = h("ol", { class: "lines tall", id: "follow-lines" });
  const toggle = h("button", { type: "button", id: "follow", class: "primary" }, "Follow");
  const level = h("select", { id: "follow-level" }, ...["debug", "info", "warn", "error"].map((l) => h("option", { value: l }, l)));
  const since = h("select", { id: "follow-since" }, h("option", { value: "" }, "new lines only"), h("option", { value: "10m" }, "the last 10 minutes, then new"), h("option", { value: "1h" }, "the last hour, then new"));
  const note = h("span", { class: "muted", "aria-live": "polite" }, "Not following.");
  let ctrl = null;

  async function follow() {
    ctrl = new AbortController();
    toggle.textContent = "Stop following";
    note.textContent = "Connecting…";
    try {
      const q = new URLSearchParams({ follow: "1", level: level.value });
      if (since.value) q.set("since", since.value);
      const resp = await request("GET", `/v1/functions/${enc(state.id)}/logs?${q}`, { headers: { Accept: "text/event-stream" }, signal: ctrl.signal });
      await readEvents(resp, (name, d) => {
        if (name === "header") note.textContent = "Following: new lines appear as the function prints them.";
        else if (name === "log") addLine(lines, d);
        else if (name === "dropped") addLine(lines, { level: "warn", message: `(${d.count} lines dropped)` });
      });
      note.textContent = "The gateway ended the stream.";
    } catch (err) {
      if (err.name === "AbortError") note.textContent = "Not following.";
      else { note.textContent = err.message; notify(err.message, "error"); }
    } finally {
      ctrl = null;
      toggle.textContent = "Follow";
    }
  }
  toggle.addEventListener("click", () => (ctrl ? ctrl.abort() : follow()));
  state.onClose(() => ctrl && ctrl.abort());
  replace(panel, h("div", { class: "toolbar" }, field("Level at least", level), field("Show", since), toggle,
    h("button", { type: "button", onclick: () => lines.replaceChildren() }, "Clear"), note), lines);
  return {};
}
