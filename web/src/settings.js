// The Settings tab: the version's type, timeout and memory (a change
// deploys a new version) and the function's settings (auth, limits,
// fresh runtime, schedule, callback URL, routing place): only what changed is sent. Also the
// Worker's stop and start, the quarantine, UUID rotation and deletion.
import { api, enc } from "./api.js";
import { h, replace, field, notify } from "./dom.js";
import { can, lacks } from "./scopes.js";

const num = (v) => (v === "" ? undefined : Number(v));

export function settingsTab(panel, state) {
  const render = () => {
    const f = state.fn;
    const ro = !can("functions:write");
    const sel = (options, value) => h("select", { disabled: ro }, ...options.map((o) => h("option", { value: o, selected: o === value }, o)));
    const inp = (type, value, extra = {}) => h("input", { type, value: value ?? "", disabled: ro, ...extra });
    const c = {
      type: sel(["script", "app", "worker"], f.type),
      timeout_ms: inp("number", f.timeout_ms, { min: 1 }),
      memory_mb: inp("number", f.memory_mb, { min: 1 }),
      fresh_runtime: h("input", { type: "checkbox", checked: f.fresh_runtime, disabled: ro }),
      auth: sel(["public", "apikey", "jwt"], f.auth),
      rate: inp("number", f.limits.rate || "", { min: 0, step: "any", placeholder: "none" }),
      burst: inp("number", f.limits.burst || "", { min: 0, placeholder: "none" }),
      concurrency: inp("number", f.limits.concurrency || "", { min: 0, placeholder: "none" }),
      callback_url: inp("url", f.callback_url, { spellcheck: "false", placeholder: "none, e.g. https://partner.example.com/results" }),
      routing_priority: sel(["disabled", "run-first", "run-last"], f.routing_priority),
      routing_order: inp("number", f.routing_order),
      signing_scheme: sel(["none", "twilio", "hmac-sha256"], f.voice.signing_scheme || "none"),
      signing_secret: inp("password", "", { autocomplete: "off", placeholder: f.voice.signing_secret_set ? "(set; never shown: type to replace)" : "" }),
      state_ttl_s: inp("number", f.voice.state_ttl_s || "", { min: 0, placeholder: "3600" }),
      state_max_bytes: inp("number", f.voice.state_max_bytes || "", { min: 0, placeholder: "65536" }),
      input_schema: h("textarea", { rows: 4, spellcheck: "false", disabled: ro, placeholder: "none" }),
      output_schema: h("textarea", { rows: 4, spellcheck: "false", disabled: ro, placeholder: "none" }),
      schedule: inp("text", scheduleText(f.schedule), { spellcheck: "false", placeholder: "none, e.g. */15 * * * * or {\"minutes\":[0],\"hours\":[9]}" }),
      tz: inp("text", f.schedule?.tz || "", { spellcheck: "false", placeholder: "UTC" }),
      overlap: sel(["skip", "allow"], f.schedule?.overlap || "skip"),
    };
    const schemaText = (v) => (v ? JSON.stringify(v, null, 2) : "");
    c.input_schema.value = schemaText(f.input_schema);
    c.output_schema.value = schemaText(f.output_schema);
    for (const [k, el] of Object.entries(c)) el.id = "set-" + k;
    const submit = h("button", { type: "submit", class: "primary", disabled: ro, id: "save-settings" }, "Save settings");
    const form = h("form", { class: "settings" },
      ro ? lacks("functions:write", "changing settings") : null,
      h("fieldset", {}, h("legend", {}, "Function"),
        field("Name", h("input", { type: "text", value: f.name, readonly: true }), "Fixed once created: deploy a new function to rename."),
        field("Type", c.type, "A change deploys a new version."),
        field("Timeout (ms)", c.timeout_ms), field("Memory (MB)", c.memory_mb),
        h("div", { class: "field check" }, c.fresh_runtime, h("label", { for: idOf(c.fresh_runtime) }, "Fresh runtime per call (strict isolation, slower)")),
        field("Schedule", c.schedule, "A cron expression (five fields, or @hourly, @daily…) or the days and times as JSON: minutes, hours, days_of_month, days_of_week. Empty: none."),
        field("Time zone", c.tz, "IANA name, e.g. Europe/Paris. A skipped hour fires once when it ends; a repeated hour fires once."),
        field("Overlap", c.overlap, "skip: a slot that comes while the last run still goes is skipped (and recorded); allow: it runs too."),
        fires(f)),
      h("fieldset", {}, h("legend", {}, "Invocation"),
        field("Auth mode", c.auth, "public: the UUID is the secret; apikey: a key with functions:invoke; jwt: a token of the tenant's JWT keys."),
        field("Rate (calls/s)", c.rate), field("Burst", c.burst), field("Concurrency", c.concurrency),
        field("Callback URL", c.callback_url, "Async runs (Prefer: respond-async) without X-Callback-Url POST their outcome here, signed with the tenant's callback secret. Empty: none.")),
      h("fieldset", {}, h("legend", {}, "Routing chain"),
        field("Routing priority", c.routing_priority, "run-first or run-last puts it in every routing chain of the tenant."),
        field("Routing order", c.routing_order, "Lowest first among functions of one place.")),
      h("fieldset", {}, h("legend", {}, "Voice webhook"),
        field("Signing scheme", c.signing_scheme, "How POST /v1/voice/<uuid> checks each webhook's signature."),
        field("Signing secret", c.signing_secret, "Write-only: empty keeps the current one."),
        field("Call state TTL (s)", c.state_ttl_s), field("Call state max bytes", c.state_max_bytes)),
      h("fieldset", {}, h("legend", {}, "Contract (JSON Schema 2020-12)"),
        field("Input schema", c.input_schema, "Checked against each call's data; empty: none."),
        field("Output schema", c.output_schema, "Checked against each JSON result; empty: none.")),
      submit);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const body = {};
      if (c.type.value !== f.type) body.type = c.type.value;
      if (num(c.timeout_ms.value) !== f.timeout_ms) body.timeout_ms = num(c.timeout_ms.value);
      if (num(c.memory_mb.value) !== f.memory_mb) body.memory_mb = num(c.memory_mb.value);
      if (c.fresh_runtime.checked !== f.fresh_runtime) body.fresh_runtime = c.fresh_runtime.checked;
      if (c.auth.value !== f.auth) body.auth = c.auth.value;
      if (c.callback_url.value.trim() !== (f.callback_url || "")) body.callback_url = c.callback_url.value.trim();
      const limits = { rate: num(c.rate.value) || 0, burst: num(c.burst.value) || 0, concurrency: num(c.concurrency.value) || 0 };
      if (limits.rate !== (f.limits.rate || 0) || limits.burst !== (f.limits.burst || 0) || limits.concurrency !== (f.limits.concurrency || 0)) body.limits = limits;
      if (c.routing_priority.value !== f.routing_priority) body.routing_priority = c.routing_priority.value;
      if (num(c.routing_order.value) !== f.routing_order) body.routing_order = num(c.routing_order.value) ?? 0;
      const voice = {};
      const scheme = c.signing_scheme.value === "none" ? "" : c.signing_scheme.value;
      if (scheme !== (f.voice.signing_scheme || "")) voice.signing_scheme = scheme;
      if (c.signing_secret.value) voice.signing_secret = c.signing_secret.value;
      if ((num(c.state_ttl_s.value) || 0) !== (f.voice.state_ttl_s || 0)) voice.state_ttl_s = num(c.state_ttl_s.value) || 0;
      if ((num(c.state_max_bytes.value) || 0) !== (f.voice.state_max_bytes || 0)) voice.state_max_bytes = num(c.state_max_bytes.value) || 0;
      if (Object.keys(voice).length) body.voice = voice;
      const sched = c.schedule.value.trim();
      if (sched !== scheduleText(f.schedule) || (sched && (c.tz.value.trim() !== (f.schedule?.tz || "") || c.overlap.value !== (f.schedule?.overlap || "skip")))) {
        if (!sched) body.schedule = null; // null removes the schedule
        else {
          let spec = { cron: sched };
          if (sched.startsWith("{")) {
            try { spec = JSON.parse(sched); } catch (err) {
              c.schedule.setAttribute("aria-invalid", "true");
              c.schedule.focus();
              return notify(`schedule: not valid JSON (${err.message}).`, "error");
            }
          }
          body.schedule = { ...spec, tz: c.tz.value.trim() || undefined, overlap: c.overlap.value };
        }
      }
      for (const k of ["input_schema", "output_schema"]) {
        const text = c[k].value.trim();
        if (text === schemaText(f[k]).trim()) continue;
        if (!text) { body[k] = null; continue; } // null removes the contract
        try { body[k] = JSON.parse(text); } catch (err) {
          c[k].setAttribute("aria-invalid", "true");
          c[k].focus();
          return notify(`${k}: not valid JSON (${err.message}).`, "error");
        }
      }
      if (!Object.keys(body).length) return notify("Nothing changed.");
      submit.disabled = true;
      try {
        await api("PUT", `/v1/functions/${enc(f.id)}`, body);
        await state.reload();
        notify("Settings saved.");
      } catch (err) {
        notify(err.message, "error");
        // The field, as the API names it (limits.rate, voice.state_ttl_s, …).
        const bad = err.field && (c[err.field] || c[err.field.split(".").pop()] || (err.field.startsWith("schedule.") ? c.schedule : null));
        if (bad) { bad.setAttribute("aria-invalid", "true"); bad.focus(); }
        submit.disabled = false;
      }
    });
    replace(panel, form, actions(state));
  };
  render();
  state.onReload(render);
  return {};
}

// scheduleText is a schedule as the Schedule field shows it: its cron
// expression, or its days and times as JSON.
function scheduleText(sc) {
  if (!sc) return "";
  if (sc.cron) return sc.cron;
  const { tz, overlap, ...fields } = sc;
  return JSON.stringify(fields);
}

// fires shows a schedule's next fire times and its latest slot.
function fires(f) {
  if (!f.schedule) return h("p", { class: "muted", id: "next-fires" }, "No schedule: the function runs only when called.");
  const last = f.last_fire;
  return h("div", { id: "next-fires" },
    h("p", { class: "muted" }, "Next runs:"),
    h("ul", {}, ...(f.next_fires || []).map((t) => h("li", {}, h("time", { datetime: t }, t)))),
    last ? h("p", { class: "muted", id: "last-fire" }, `Latest slot ${last.slot}: ${last.state}` + (last.reason ? ` (${last.reason})` : "") + (last.error ? `: ${last.error}` : "")) : null);
}

function idOf(el) {
  if (!el.id) el.id = "c" + Math.random().toString(36).slice(2);
  return el.id;
}

// actions are the buttons that act at once rather than through the form.
function actions(state) {
  const f = state.fn;
  const box = h("section", { class: "actions", "aria-label": "Actions" }, h("h2", {}, "Actions"));
  if (!can("functions:write")) return box.append(lacks("functions:write", "these actions")), box;
  const act = (label, fn, cls, id) => h("button", { type: "button", class: cls, id, onclick: async (e) => {
    e.target.disabled = true;
    try { await fn(); } catch (err) { notify(err.message, "error"); } finally { e.target.disabled = false; }
  } }, label);
  if (f.type === "worker") {
    const st = h("span", { class: "muted" }, "status …");
    api("GET", `/v1/functions/${enc(f.id)}/worker`).then((w) => {
      st.textContent = `Worker: ${w.state}, ${w.restarts} restart${w.restarts === 1 ? "" : "s"}` + (w.started_at ? `, running since ${new Date(w.started_at).toLocaleString()}` : "");
    })
      .catch((err) => { st.textContent = err.message; });
    box.append(h("p", {}, st), act("Stop worker", async () => { await api("POST", `/v1/functions/${enc(f.id)}/stop`); notify("Worker stopped."); await state.reload(); }, "", "worker-stop"),
      act("Start worker", async () => { await api("POST", `/v1/functions/${enc(f.id)}/start`); notify("Worker started."); await state.reload(); }, "", "worker-start"));
  }
  if (f.quarantine) {
    const q = f.quarantine;
    box.append(h("p", { class: "error" }, "Quarantined" + (q.until ? " until " + new Date(q.until).toLocaleString() : "") + ": it kept killing its sandbox."),
      can("admin") ? act("Lift quarantine", async () => { await api("DELETE", `/v1/functions/${enc(f.id)}/quarantine`); await state.reload(); notify("Quarantine lifted."); })
        : lacks("admin", "lifting a quarantine"));
  }
  box.append(act("Rotate UUID", async () => { await api("POST", `/v1/functions/${enc(f.id)}/rotate-uuid`); await state.reload(); notify("New UUID: the old URL no longer answers."); }, "", "rotate-uuid"));
  const really = act("Really delete, with every version", async () => {
    await api("DELETE", `/v1/functions/${enc(f.id)}`);
    notify(`Deleted ${f.name}.`);
    location.hash = "#/";
  }, "danger", "delete-really");
  really.hidden = true;
  box.append(h("button", { type: "button", class: "danger", id: "delete", onclick: (e) => { really.hidden = false; e.target.hidden = true; really.focus(); } }, "Delete function…"), really);
  return box;
}
