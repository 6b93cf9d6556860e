// The admin API client: the only way the page talks to the gateway. The
// key lives in this tab's session storage, never in local storage or a
// cookie: it goes when the tab closes, and no other tab or site sees it.

const KEY = "scriptforge.key";

export const session = {
  get key() { return sessionStorage.getItem(KEY) || ""; },
  set(key) { sessionStorage.setItem(KEY, key); },
  clear() { sessionStorage.removeItem(KEY); },
};

// ApiError is a failed call, with what the page needs to explain it.
export class ApiError extends Error {
  constructor(status, code, message, extra = {}) {
    super(message);
    Object.assign(this, { status, code }, extra);
  }
}

let onUnauthorized = () => {};
// unauthorized sets what happens when the gateway refuses the key.
export function unauthorized(fn) { onUnauthorized = fn; }

// request calls the API and returns the raw Response when it succeeds.
// auth false sends no key: a public function sees its caller's headers,
// and must never see the signed-in key.
export async function request(method, path, { body, headers = {}, signal, auth = true } = {}) {
  const h = { ...headers };
  if (auth && session.key) h.Authorization = "Bearer " + session.key;
  if (body !== undefined) h["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal, cache: "no-store" });
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, "network", "Network error: the gateway did not answer (" + (e.message || e) + ").");
  }
  if (resp.ok) return resp;
  throw await errorOf(resp);
}

// api calls the API and returns the JSON answer (null for 204).
export async function api(method, path, body, opts = {}) {
  const resp = await request(method, path, { ...opts, body });
  if (resp.status === 204) return null;
  return resp.json();
}

// errorOf reads the gateway's JSON error body into an ApiError whose
// message names what the caller must change: the field of a validation
// error, the missing scope, the wait of a 429.
export async function errorOf(resp) {
  let e = {};
  try { e = (await resp.json()).error || {}; } catch { /* not JSON: a proxy's page */ }
  const code = e.code || "http_" + resp.status;
  let message = e.message || resp.statusText || "request failed";
  const extra = { requestId: e.request_id, details: e.details };
  const d = e.details || {};
  // A validation error names its field in details, or starts its message
  // with it ("voice.state_ttl_s: must be …"), or in its code (invalid_name).
  const named = /^([a-z_][\w.]*): /.exec(message);
  extra.field = d.field || d.parameter || (code.startsWith("invalid_") && code !== "invalid_json" ? (named ? named[1] : code.slice(8)) : undefined);
  switch (resp.status) {
    case 401:
      message = "The gateway refused the key (401): " + message + ". Sign in again.";
      onUnauthorized(message);
      break;
    case 403:
      message = "Not allowed (403): " + message + ".";
      break;
    case 429: {
      const wait = Number(resp.headers.get("Retry-After"));
      extra.retryAfter = wait;
      const says = /retry/i.test(message); // the gateway's message may give the wait already
      message = "Too many requests (429): " + message + (wait && !says ? `; retry in ${wait} s.` : ".");
      break;
    }
    default:
      if (extra.field && !message.includes(extra.field)) message = extra.field + ": " + message;
      message = `${message} (${resp.status} ${code})`;
  }
  return new ApiError(resp.status, code, message, extra);
}

// enc escapes one path segment.
export const enc = encodeURIComponent;
