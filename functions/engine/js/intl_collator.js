// Intl.Collator (ECMA-402 §10): CLDR collation through x/text's collate
// (Go), with the standard's option reading and resolved options.
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList, coerceOptions, getOption, resolveLocale, supportedLocalesOf, tagPrototype } = lib("intl_common");
  const slots = new WeakMap(); // collator → its resolved options and compare

  const Collator = function Collator(locales = undefined, options = undefined) {
    // Called as a function it constructs all the same (§10.1.1 step 1).
    const self = new.target === undefined ? Object.create(Collator.prototype) : this;
    const requested = canonicalizeLocaleList(locales);
    const o = coerceOptions(options);
    const usage = getOption(o, "usage", "string", ["sort", "search"], "sort");
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    const collation = getOption(o, "collation", "string", undefined, undefined);
    if (collation !== undefined && !/^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i.test(collation)) {
      throw new RangeError(`Invalid collation: ${collation}`);
    }
    const numeric = getOption(o, "numeric", "boolean", undefined, undefined);
    const caseFirst = getOption(o, "caseFirst", "string", ["upper", "lower", "false"], undefined);
    if (caseFirst === "upper" || caseFirst === "lower") {
      throw new RangeError(`Intl.Collator: caseFirst "${caseFirst}" is not supported here`);
    }
    const r = resolveLocale(requested);
    const sensitivity = getOption(o, "sensitivity", "string", ["base", "accent", "case", "variant"], "variant");
    const ignorePunctuation = getOption(o, "ignorePunctuation", "boolean", undefined, false);
    const kn = numeric === undefined ? r.extension.kn === "" || r.extension.kn === "true" : numeric;
    let locale = r.locale;
    if (numeric === undefined && "kn" in r.extension) locale += kn ? "-u-kn" : "-u-kn-false";
    slots.set(self, {
      resolved: { locale, usage, sensitivity, ignorePunctuation, collation: "default", numeric: kn, caseFirst: "false" },
      compare: host.compare(r.dataLocale, kn, sensitivity, ignorePunctuation),
      bound: undefined,
    });
    return self;
  };
  const slotsOf = (c, what) => {
    const s = slots.get(c);
    if (s === undefined) throw new TypeError(`Method Intl.Collator.prototype.${what} called on incompatible receiver ${String(c)}`);
    return s;
  };
  Object.defineProperty(Collator, "supportedLocalesOf", {
    value: function supportedLocalesOf(locales, options = undefined) { return supportedLocalesOfAll(locales, options); },
    writable: true, configurable: true,
  });
  const supportedLocalesOfAll = supportedLocalesOf;
  Object.defineProperty(Collator.prototype, "compare", {
    get: function compare() {
      const s = slotsOf(this, "compare");
      if (s.bound === undefined) {
        const f = s.compare;
        s.bound = (x, y) => f(String(x), String(y));
      }
      return s.bound;
    },
    configurable: true,
  });
  Object.defineProperty(Collator.prototype, "resolvedOptions", {
    value: function resolvedOptions() { return { ...slotsOf(this, "resolvedOptions").resolved }; },
    writable: true, configurable: true,
  });
  tagPrototype(Collator, "Intl.Collator");
  return { Collator };
})
