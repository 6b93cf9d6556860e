// Intl.DisplayNames (ECMA-402 §12): CLDR's names of languages, regions,
// scripts, currencies, calendars and date fields, looked up in Go.
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList, optionsObject, getOption, resolveLocale, tagPrototype, install, statics } = lib("intl_common");
  const slots = new WeakMap();
  const types = ["language", "region", "script", "currency", "calendar", "dateTimeField"];

  const DisplayNames = function DisplayNames(locales, options) {
    if (new.target === undefined) throw new TypeError("Constructor Intl.DisplayNames requires 'new'");
    const requested = canonicalizeLocaleList(locales);
    const o = optionsObject(options);
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    const r = resolveLocale(requested);
    const style = getOption(o, "style", "string", ["narrow", "short", "long"], "long");
    const type = getOption(o, "type", "string", types, undefined);
    if (type === undefined) throw new TypeError("Intl.DisplayNames: the type option is required");
    const fallback = getOption(o, "fallback", "string", ["code", "none"], "code");
    const languageDisplay = getOption(o, "languageDisplay", "string", ["dialect", "standard"], "dialect");
    const self = Object.create(new.target.prototype);
    slots.set(self, { locale: r.locale, dataLocale: r.dataLocale, style, type, fallback, languageDisplay });
    return self;
  };
  const slotsOf = (d, what) => {
    const s = slots.get(d);
    if (s === undefined) throw new TypeError(`Method Intl.DisplayNames.prototype.${what} called on incompatible receiver`);
    return s;
  };
  statics(DisplayNames);
  install(DisplayNames.prototype, {
    resolvedOptions() {
      const s = slotsOf(this, "resolvedOptions");
      const out = { locale: s.locale, style: s.style, type: s.type, fallback: s.fallback };
      if (s.type === "language") out.languageDisplay = s.languageDisplay;
      return out;
    },
    of(code) {
      const s = slotsOf(this, "of");
      code = String(code);
      const [canonical, name] = host.of(s.dataLocale, s.type, s.style, s.languageDisplay, code); // a RangeError for a bad code
      if (name !== undefined) return name;
      return s.fallback === "code" ? canonical : undefined;
    },
  });
  tagPrototype(DisplayNames, "Intl.DisplayNames");
  return { DisplayNames };
})
