// The templates of "New function". Each says which type it deploys as
// and which settings it starts with.

export const templates = [
  {
    id: "script", label: "Script", type: "script",
    hint: "Synchronous main(data, ctx): no require, timers or Promises. The fastest kind.",
    source: `function main(data, ctx) {
  console.log("called with", JSON.stringify(data));
  data.handled_at = new Date().toISOString();
  return data;
}
`,
  },
  {
    id: "app", label: "App", type: "app",
    hint: "May be async, use fetch, timers and the whitelisted modules, and export several functions.",
    source: `export async function main(data, ctx) {
  console.log("hello from an App", ctx.requestId);
  return { hello: data.name || "world", at: new Date().toISOString() };
}
`,
  },
  {
    id: "worker", label: "Worker", type: "worker",
    hint: "An App with a long-lived runtime: module state persists between calls.",
    source: `let calls = 0;

export async function main(data, ctx) {
  calls++;
  console.log("call", calls);
  return { calls };
}
`,
  },
  {
    id: "routing", label: "Routing script", type: "script",
    hint: "A Class 4 routing step: receives {routing, egress_routing}, returns it changed.",
    source: `// Run by POST /v1/routing/customers/<customer> once assigned (or in
// every chain with a routing priority, see Settings).
function main(data, ctx) {
  data.routing = data.routing || {};
  data.egress_routing = data.egress_routing || [];
  console.log("routing", JSON.stringify(data.routing));
  // Header manipulation: remove then add replaces a header.
  data.remove_headers = [{ key: "X-Debug" }];
  data.headers = [{ key: "X-Routed-By", value: "scriptforge" }];
  return data;
}
`,
  },
  {
    id: "voice", label: "Voice webhook", type: "app",
    hint: "An App for POST /v1/voice/<uuid>: answers call events with call-control verbs.",
    source: `import { VoiceResponse } from "voice";

export async function main({ call }, ctx) {
  const r = new VoiceResponse();
  if (!call) { // a test run from the IDE: no call event
    r.say("Hello from ScriptForge");
    return r;
  }
  if (call.final) return null; // the status callback
  const s = ctx.call.state;
  if (!s.greeted) {
    s.greeted = true;
    r.gather({ numDigits: 1, timeout: 5 }).say("Press 1 for sales, 2 for support");
    return r;
  }
  r.dial(call.digits === "1" ? "+15550001111" : "+15550002222");
  return r;
}
`,
  },
];
