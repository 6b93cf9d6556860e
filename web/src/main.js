// The ScriptForge IDE: sign in with an API key, then the function list
// (#/) and one function's pages (#/fn/<id>/<tab>). Every call goes
// through the public admin API (api.js).
import { session, unauthorized } from "./api.js";
import { h, replace, field, messages, notify, clearMessages } from "./dom.js";
import { listPage } from "./list.js";
import { functionPage } from "./fn.js";
import { whoami } from "./scopes.js";

const root = document.getElementById("app");
const msgBox = h("div", { class: "messages", "aria-live": "polite" });
const main = h("main", { id: "main", tabindex: "-1" });
let leave = null; // the current page's cleanup (open streams)
let shownFor = null; // the key (GET /v1/key) the shell was drawn for

// A key refused while signed in (revoked, or the gateway restarted with
// another admin key) sends the user back to sign in; the sign-in form
// reports its own refusals.
unauthorized((message) => {
  if (!root.querySelector(".shell")) return;
  session.clear();
  signIn(message);
});

function signIn(reason) {
  cleanup();
  const key = h("input", { type: "password", autocomplete: "off", spellcheck: "false", required: true, placeholder: "sfk_…" });
  const submit = h("button", { type: "submit", class: "primary" }, "Sign in");
  const form = h("form", { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "ScriptForge"),
    h("p", {}, "Sign in with an API key: the admin key that serve printed, or a key of your tenant. It is kept in this tab only (session storage) until you sign out or close the tab."),
    field("API key", key),
    submit);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    submit.disabled = true;
    session.set(key.value.trim());
    try {
      await whoami();
      clearMessages();
      route(); // to the page the address names, or the list
    } catch (err) {
      session.clear();
      notify(err.message, "error");
    } finally {
      submit.disabled = false;
    }
  });
  replace(root, h("div", { class: "signin-wrap" }, msgBox, form));
  if (reason) notify(reason, "error");
  key.focus();
}

function signOut() {
  session.clear();
  // Back to the list's address without a hashchange, which would draw
  // the sign-in form a second time under the user's typing.
  history.replaceState(null, "", "#/");
  signIn();
  notify("Signed out: the key is gone from this tab.");
}

function shell(me) {
  const who = h("span", { class: "who" }, `${me.name || me.id} · tenant ${me.tenant} · ${me.grants.join(", ") || "no scopes"}`);
  return h("div", { class: "shell" },
    h("header", { class: "top" },
      h("a", { href: "#/", class: "brand" }, "ScriptForge"),
      h("nav", { "aria-label": "Main" }, h("a", { href: "#/" }, "Functions"), h("a", { href: "/docs" }, "API reference")),
      who,
      h("button", { type: "button", id: "signout", onclick: signOut }, "Sign out")),
    msgBox, main);
}

function cleanup() {
  if (leave) { try { leave(); } catch { /* closing a stream */ } }
  leave = null;
}

async function route() {
  cleanup();
  if (!session.key) return signIn();
  let me;
  try { me = await whoami(); } catch (err) {
    if (err.status === 401) {
      // A stale key (the tab outlived it): sign in again, unless the
      // refusal has sent the user there already.
      if (session.key) { session.clear(); signIn(err.message); }
      return;
    }
    // The network, the gateway: said in the shell, with a retry.
    shownFor = null;
    replace(root, shell({ id: "?", tenant: "?", grants: [] }));
    replace(main, h("p", {}, h("button", { type: "button", onclick: route }, "Try again")));
    notify(err.message, "error");
    return;
  }
  if (shownFor !== me || !root.querySelector(".shell")) replace(root, shell(me));
  shownFor = me;
  const [, page, id, tab] = location.hash.split("/");
  if (page === "fn" && id) leave = functionPage(main, decodeURIComponent(id), tab || "code");
  else leave = listPage(main);
}

messages(msgBox);
window.addEventListener("hashchange", route);
window.addEventListener("unhandledrejection", (e) => {
  if (e.reason && e.reason.name === "AbortError") { e.preventDefault(); return; }
  notify("Unexpected failure: " + (e.reason && e.reason.message || e.reason), "error");
});
route();
