// The Code tab: the editor, Save (Ctrl/Cmd+S) and Save & Run
// (Ctrl/Cmd+Enter) with a test input remembered per function, the
// result, the console streaming the run's lines live, Cancel, and the
// error preview that marks the failing line in the editor.
import { api, request, enc } from "./api.js";
import { h, replace, field, notify, formatMS } from "./dom.js";
import { can } from "./scopes.js";
import { readEvents } from "./sse.js";
import { createEditor, markError, clearErrors, setSource } from "./editor.js";

const defaultInput = '{"routing":{}}';
// Test inputs are no secret: kept per function across tabs and visits.
const inputKey = (id) => "scriptforge.input." + id;

export function codeTab(panel, state) {
  const fn = state.fn;
  let saved = fn.source || "";
  let running = null; // {ctrl, rid}
  let runSeq = 0; // the latest run: a late answer about an older one is dropped
  let closed = false;

  const status = h("span", { class: "savestate", "aria-live": "polite" });
  const saveBtn = h("button", { type: "button", id: "save", title: "Ctrl/Cmd+S" }, "Save");
  const runBtn = h("button", { type: "button", id: "run", class: "primary", title: "Ctrl/Cmd+Enter" }, "Save & Run");
  const cancelBtn = h("button", { type: "button", id: "cancel", disabled: true }, "Cancel run");
  const consoleBtn = h("button", { type: "button", id: "toggle-console", "aria-expanded": "true", "aria-controls": "console" }, "Console");
  const input = h("textarea", { id: "test-input", rows: 5, spellcheck: "false" });
  input.value = localStorage.getItem(inputKey(fn.id)) || defaultInput;
  input.addEventListener("input", () => localStorage.setItem(inputKey(fn.id), input.value));
  const exportName = h("input", { type: "text", id: "export", placeholder: "main", autocomplete: "off" });
  const preview = h("div", { class: "errpreview", id: "error-preview", role: "alert", hidden: true });
  const result = h("div", { class: "result", id: "result", "aria-live": "polite" }, h("p", { class: "muted" }, "Run the function to see its result."));
  const lines = h("ol", { class: "lines" });
  const consolePanel = h("section", { class: "console", id: "console", "aria-label": "Console" },
    h("div", { class: "console-head" }, h("h2", {}, "Console"),
      h("button", { type: "button", class: "small", onclick: () => lines.replaceChildren() }, "Clear")),
    lines);
  const editorEl = h("div", { class: "editor" });

  const dirty = () => view.state.doc.toString() !== saved;
  const showDirty = () => { status.textContent = (dirty() ? "unsaved changes · " : "saved · ") + `live v${state.fn.version}`; };
  const view = createEditor(editorEl, saved, { onSave: () => save(), onRun: () => saveAndRun(), onChange: showDirty });

  // save deploys the editor's text as a new version if it changed; a
  // compile error is marked in the editor. Resolves to false on failure.
  let saving = null; // the save in flight: a second Ctrl+S waits for it
  function save() {
    if (!saving) saving = deploy().finally(() => { saving = null; });
    return saving;
  }
  async function deploy() {
    if (!dirty()) { showDirty(); return true; } // nothing to save: a read-only key may still run
    if (!can("functions:write")) {
      notify("This key lacks the functions:write scope: it cannot save.", "error");
      return false;
    }
    const text = view.state.doc.toString();
    saveBtn.disabled = true;
    try {
      await api("PUT", `/v1/functions/${enc(fn.id)}`, { source: text });
      saved = text;
      clearErrors(view);
      hidePreview();
      await state.reload();
      notify(`Saved as version ${state.fn.version}.`);
      return true;
    } catch (err) {
      if (err.code === "compile_error" && err.details && err.details.line) {
        const d = err.details;
        markError(view, d.line, d.column, d.message);
        showPreview(`Syntax error at line ${d.line}, column ${d.column}: ${d.message}`, d.line, d.column);
      }
      notify(err.message, "error");
      return false;
    } finally {
      saveBtn.disabled = false;
      showDirty();
    }
  }

  let busy = false; // from the key press to the end of the run
  async function saveAndRun() {
    if (busy) return notify("A run is in progress: wait for it, or cancel it.", "error");
    busy = true;
    try { await saveThenRun(); } finally { busy = false; }
  }

  async function saveThenRun() {
    let data;
    try { data = JSON.parse(input.value || "null"); } catch (e) {
      input.focus();
      return notify("Test input is not valid JSON: " + e.message, "error");
    }
    if (!(await save())) return;
    if (state.fn.auth === "jwt") return notify("This function's auth is jwt: the IDE cannot sign a token. Use the curl line with a token, or set auth to apikey.", "error");
    if (state.fn.auth === "apikey" && !can("functions:invoke")) return notify("This function's auth is apikey and this key lacks the functions:invoke scope.", "error");
    await run(data);
  }

  async function run(data) {
    const seq = ++runSeq;
    const ctrl = new AbortController();
    running = { ctrl, rid: null };
    runBtn.disabled = true;
    cancelBtn.disabled = false;
    lines.replaceChildren();
    clearErrors(view);
    hidePreview();
    const started = performance.now();
    const live = h("p", { class: "running", id: "run-state" }, "Running…");
    replace(result, live);
    const path = `/v1/fn/${enc(state.fn.uuid)}` + (exportName.value.trim() ? "/" + enc(exportName.value.trim()) : "");
    let final = null;
    try {
      // The key goes only to a function that asks for one (apikey): a
      // public function gets its caller's headers, Authorization included.
      const resp = await request("POST", path, { body: data, headers: { Accept: "text/event-stream" }, signal: ctrl.signal, auth: state.fn.auth === "apikey" });
      if (!(resp.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
        final = { name: "message", data: { status: resp.status, result: await resp.json().catch(() => null) } };
      } else {
        await readEvents(resp, (name, d) => {
          if (name === "header") { running.rid = d.request_id; live.textContent = `Running… (request ${d.request_id})`; }
          else if (name === "log") addLine(lines, d);
          else if (name === "dropped") addLine(lines, { level: "warn", message: `(${d.count} lines dropped: the console could not keep up)` });
          else if (name === "message" || name === "error") final = { name, data: d };
        });
      }
    } catch (err) {
      if (err.name === "AbortError") final = { name: "cancelled" };
      else { replace(result, h("p", { class: "error" }, err.message)); notify(err.message, "error"); }
    } finally {
      const rid = running.rid;
      running = null;
      runBtn.disabled = false;
      cancelBtn.disabled = true;
      if (final) showResult(final, rid, performance.now() - started, seq);
    }
  }

  // cancel stops the run: the stream is aborted and the run deleted by
  // its request id, so it stops even where a proxy keeps it going.
  async function cancel() {
    if (!running) return;
    const { ctrl, rid } = running;
    if (rid) {
      try { await api("DELETE", `/v1/runs/${enc(rid)}`); } catch (err) {
        if (err.status !== 404) notify(err.message, "error"); // 404: it just ended
      }
    }
    ctrl.abort();
  }

  function showResult(final, rid, elapsed, seq) {
    const d = final.data || {};
    const rows = [];
    if (final.name === "cancelled") rows.push(["Status", "cancelled"]);
    else rows.push(["Status", d.code === "cancelled" ? `cancelled (${d.status})` : String(d.status)], ["Duration", formatMS(d.duration_ms ?? elapsed)]);
    // The final event carries the run's CPU time; the run's record is
    // still read for a failure's stack.
    const cpu = h("dd", { id: "cpu-time" }, d.cpu_ms != null ? formatMS(d.cpu_ms) : rid ? "…" : "–");
    const meta = h("dl", { class: "meta" }, ...rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", { id: k === "Status" ? "result-status" : null }, v)]),
      h("dt", {}, "CPU time"), cpu, rid ? [h("dt", {}, "Request"), h("dd", {}, h("code", {}, rid))] : null);
    const parts = [meta];
    if (final.name === "message") {
      if (d.headers && Object.keys(d.headers).length) {
        parts.push(h("h3", {}, "Response headers"), h("table", { class: "headers" }, h("tbody", {},
          ...Object.entries(d.headers).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, v))))));
      }
      if (d.content_type) parts.push(h("p", { class: "muted" }, "Content-Type: " + d.content_type));
      parts.push(h("h3", {}, "Result"), h("pre", { class: "body", id: "result-body" }, bodyText(d)));
    } else if (final.name === "error") {
      parts.push(h("h3", {}, "Error"), h("pre", { class: "body error", id: "result-body" }, `${d.code}: ${d.message}`));
    }
    replace(result, ...parts);
    // A cancelled run failed at no line of its own: nothing to mark.
    if (rid) details(rid, d.cpu_ms != null ? null : cpu, final.name === "error" && d.code !== "cancelled", seq);
  }

  // details reads the run's record, stored a moment after the run ends,
  // for its CPU time (cpu: null when the stream gave it) and, for a
  // failure, the stack's line and column. It
  // looks in the function's newest runs rather than asking for the run by
  // id, which answers 404 until the record is there (a red line in the
  // browser's console for every run).
  async function details(rid, cpu, failed, seq) {
    if (!cpu && !failed) return; // nothing left to read
    for (let i = 0; i < 20; i++) {
      await new Promise((r) => setTimeout(r, i ? 150 : 50));
      if (closed) return; // the page is gone (the function may be too)
      let run;
      try {
        const { runs } = await api("GET", `/v1/functions/${enc(state.id)}/runs?limit=20&since=10m`);
        run = runs.find((r) => r.request_id === rid);
      } catch (err) {
        if (cpu) cpu.textContent = "unknown: " + err.message;
        return;
      }
      if (run) {
        if (cpu) cpu.textContent = formatMS(run.cpu_us / 1000);
        if (failed && seq === runSeq && !running) previewStack(run.error || "");
        return;
      }
    }
    if (cpu) cpu.textContent = "not recorded (quiet runs are sampled)";
  }

  function previewStack(stack) {
    const m = /function\.js:(\d+):(\d+)/.exec(stack);
    const first = stack.split("\n")[0];
    if (!m) return showPreview(first + " (the stack names no line: errors thrown after an await carry none)");
    const line = Number(m[1]), col = Number(m[2]);
    markError(view, line, col, first);
    showPreview(`${first} at line ${line}, column ${col}`, line, col);
  }

  function showPreview(text, line, col) {
    replace(preview, h("span", {}, text), line ? h("button", {
      type: "button", class: "small", onclick: () => { markError(view, line, col, text); view.focus(); },
    }, `Go to line ${line}`) : null);
    preview.hidden = false;
  }
  function hidePreview() { preview.hidden = true; }

  saveBtn.addEventListener("click", () => save());
  runBtn.addEventListener("click", () => saveAndRun());
  cancelBtn.addEventListener("click", () => cancel());
  consoleBtn.addEventListener("click", () => {
    consolePanel.hidden = !consolePanel.hidden;
    consoleBtn.setAttribute("aria-expanded", String(!consolePanel.hidden));
  });
  state.onClose(() => { closed = true; if (running) running.ctrl.abort(); view.destroy(); });
  // A rollback (or another tab's deploy) changes the live source: an
  // editor without unsaved edits follows it; one with edits keeps them.
  state.onReload((f) => {
    if (!dirty() && f.source !== undefined && f.source !== saved) {
      saved = f.source;
      setSource(view, saved);
      clearErrors(view);
      hidePreview();
    }
    showDirty();
  });
  // Ctrl/Cmd+S and +Enter work from the input and the buttons too.
  panel.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey) || e.target === editorEl) return; // the editor's own keymap has it
    if (e.key === "s") { e.preventDefault(); save(); }
    if (e.key === "Enter") { e.preventDefault(); saveAndRun(); }
  });

  const writeNote = can("functions:write") ? null : h("p", { class: "lacks" }, "This key lacks functions:write: you can read the code but not save it.");
  replace(panel, h("div", { class: "codegrid" },
    h("div", { class: "editcol" },
      h("div", { class: "toolbar" }, saveBtn, runBtn, cancelBtn, consoleBtn, status),
      writeNote, preview, editorEl,
      h("p", { class: "muted" }, "Ctrl/Cmd+S saves, Ctrl/Cmd+Enter saves and runs, Ctrl/Cmd+F searches; Esc then Tab leaves the editor.")),
    h("div", { class: "runcol" },
      field("Test input (JSON)", input, "Sent as the body; remembered for this function."),
      field("Export", exportName, "Empty: main."),
      h("section", { class: "resultbox", "aria-label": "Result" }, h("h2", {}, "Result"), result),
      consolePanel)));
  showDirty();
  return { shown: () => view.requestMeasure() };
}

function bodyText(d) {
  if (d.result !== undefined) return JSON.stringify(d.result, null, 2);
  if (d.body !== undefined) return d.body;
  if (d.body_base64) return `(${d.body_base64.length} base64 characters of binary body)`;
  return "";
}

// addLine appends a console line with its level and time.
export function addLine(list, l) {
  const t = l.time ? new Date(l.time).toLocaleTimeString() : "";
  list.append(h("li", { class: "line lv-" + (l.level || "info") },
    h("time", {}, t), h("span", { class: "lv" }, l.level || "info"), h("span", { class: "text" }, l.message)));
  list.scrollTop = list.scrollHeight;
}
