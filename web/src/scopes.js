// What the signed-in key may do, from GET /v1/key, asked once per
// sign-in: pages say what a key lacks instead of offering buttons that
// can only fail.
import { api, session } from "./api.js";
import { h } from "./dom.js";

let me = null;
let meKey = "";

export async function whoami() {
  if (me && meKey === session.key) return me;
  me = await api("GET", "/v1/key");
  meKey = session.key;
  return me;
}

export function can(scope) {
  return !!me && me.grants.includes(scope);
}

// lacks is the note a page shows for a missing scope.
export function lacks(scope, what) {
  return h("p", { class: "lacks", role: "note" },
    `This key lacks the ${scope} scope, which ${what} needs. Sign in with a key that has ${scope} (or admin).`);
}
