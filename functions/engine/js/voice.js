// voice: builds call-control answers (TwiML-style verbs) for Class 5 voice
// webhooks. Each verb is checked by Go (functions/voice) when it is added,
// so a mistake throws at the line that made it; the gateway renders the
// list as XML or JSON.
(function (host, lib) {
  "use strict";
  const plain = (o, what) => {
    if (o === undefined || o === null) return {};
    if (typeof o !== "object" || Array.isArray(o)) throw new TypeError(`voice: ${what}: options must be an object`);
    return o;
  };
  // verb builds {verb, ...options, text} and has Go check it in place.
  const verb = (name, text, opts, parent, partial) => {
    const v = { verb: name };
    for (const k of Object.keys(plain(opts, name))) {
      if (k === "verb" || k === "children") throw new TypeError(`voice: ${name}: option "${k}" is not allowed`);
      if (opts[k] !== undefined) v[k] = opts[k];
    }
    if (text !== undefined) v.text = text;
    if (partial) host.checkAttrs(JSON.stringify(v)); // its targets come next
    else host.check(JSON.stringify(v), parent || "");
    return v;
  };
  // (text, opts) or (opts, text), as people write both.
  const args = (a, b) => (typeof a === "object" && a !== null && !Array.isArray(a) ? [b, a] : [a, b]);
  const target = (t) => {
    const s = String(t);
    if (/^sips?:/.test(s)) return ["sip", s];
    if (s.startsWith("client:")) return ["client", s.slice(7)];
    return ["number", s];
  };

  class Gather {
    #v;
    constructor(v) { this.#v = v; }
    #add(name, text, opts) {
      const kid = verb(name, text, opts, "gather");
      (this.#v.children ||= []).push(kid);
      host.check(JSON.stringify(this.#v), ""); // the nesting bound
      return this;
    }
    say(a, b) { const [t, o] = args(a, b); return this.#add("say", t, o); }
    play(a, b) { const [t, o] = args(a, b); return this.#add("play", t, o); }
    pause(o) { return this.#add("pause", undefined, typeof o === "number" ? { length: o } : o); }
  }

  class Dial {
    #v;
    constructor(v) { this.#v = v; }
    #add(name, text, opts) {
      if (this.#v.text !== undefined) throw new TypeError("voice: dial: give one number as text or targets as children, not both");
      const kid = verb(name, text, opts, "dial");
      (this.#v.children ||= []).push(kid);
      host.check(JSON.stringify(this.#v), ""); // the nesting bound
      return this;
    }
    number(n, o) { return this.#add("number", n, o); }
    sip(u, o) { return this.#add("sip", u, o); }
    client(c, o) { return this.#add("client", c, o); }
  }

  class VoiceResponse {
    #verbs = [];
    #add(v) {
      if (this.#verbs.length >= host.maxVerbs) throw new RangeError(`voice: a response has at most ${host.maxVerbs} verbs`);
      this.#verbs.push(v);
      return v;
    }
    say(a, b) { const [t, o] = args(a, b); this.#add(verb("say", t, o)); return this; }
    play(a, b) { const [t, o] = args(a, b); this.#add(verb("play", t, o)); return this; }
    gather(o) { return new Gather(this.#add(verb("gather", undefined, o))); }
    // dial("+1555…"), dial(["+1555…", "sip:bob@…", "client:alice"], opts), or dial(opts).number(…)
    dial(a, b) {
      const [t, o] = args(a, b);
      if (Array.isArray(t)) {
        const v = verb("dial", undefined, o, "", true);
        v.children = t.map((x) => { const [kind, s] = target(x); return verb(kind, s, undefined, "dial"); });
        host.check(JSON.stringify(v), "");
        return new Dial(this.#add(v));
      }
      if (t !== undefined) {
        const [kind, s] = target(t);
        if (kind !== "number") {
          const v = verb("dial", undefined, o, "", true);
          v.children = [verb(kind, s, undefined, "dial")];
          return new Dial(this.#add(v));
        }
      }
      return new Dial(this.#add(t === undefined ? verb("dial", undefined, o, "", true) : verb("dial", String(t), o)));
    }
    record(o) { this.#add(verb("record", undefined, o)); return this; }
    pause(o) { this.#add(verb("pause", undefined, typeof o === "number" ? { length: o } : o)); return this; }
    redirect(a, b) { const [t, o] = args(a, b); this.#add(verb("redirect", t, o)); return this; }
    hangup() { this.#add(verb("hangup")); return this; }
    reject(o) { this.#add(verb("reject", undefined, typeof o === "string" ? { reason: o } : o)); return this; }
    sms(a, b) { const [t, o] = args(a, b); this.#add(verb("sms", t, o)); return this; }
    // What the gateway reads: the verb list (a plain array works as well).
    toJSON() { return JSON.parse(JSON.stringify(this.#verbs)); }
    // The answer as the platform gets it by default.
    toString() { return host.xml(JSON.stringify(this.#verbs)); }
  }
  return { VoiceResponse, default: { VoiceResponse } };
});
