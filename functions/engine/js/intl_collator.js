// Intl.Collator (ECMA-402 §10): CLDR collation through x/text's collate
// (Go), with the standard's option reading and locale resolution.
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList, coerceOptions, getOption, resolveLocale, tagPrototype, install, has } = lib("intl_common");
  const slots = new WeakMap(); // collator → its resolved options and compare

  // Collator is a constructor that also constructs when called (§10.1.1).
  const Collator = function Collator(locales = undefined, options = undefined) {
    const self = new.target === undefined ? Object.create(Collator.prototype) : this;
    if (new.target !== undefined && new.target !== Collator) Object.setPrototypeOf(self, new.target.prototype);
    const requested = canonicalizeLocaleList(locales);
    const o = coerceOptions(options);
    const usage = getOption(o, "usage", "string", ["sort", "search"], "sort");
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    const collation = getOption(o, "collation", "string", undefined, undefined);
    if (collation !== undefined && !/^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i.test(collation)) {
      throw new RangeError(`Invalid collation: ${collation}`);
    }
    let numeric = getOption(o, "numeric", "boolean", undefined, undefined);
    if (numeric !== undefined) numeric = String(numeric);
    const caseFirst = getOption(o, "caseFirst", "string", ["upper", "lower", "false"], undefined);
    const r = resolveLocale(requested, "collator");
    // ResolveLocale's keyword steps (§9.2.7) for co, kf and kn: a -u-
    // keyword is kept in the locale when it is supported and no option
    // overrides it with another value.
    let additions = "";
    const keyword = (key, supported, fallback, optionValue) => {
      let value = fallback;
      if (key in r.extension) {
        const requestedValue = r.extension[key];
        if (requestedValue !== "" && has(supported, requestedValue)) {
          value = requestedValue;
          additions += `-${key}-${value}`;
        } else if (requestedValue === "" && has(supported, "true")) {
          value = "true";
          additions += `-${key}`;
        }
      }
      if (optionValue !== undefined && has(supported, optionValue) && optionValue !== value) {
        value = optionValue;
        additions = additions.replace(new RegExp(`-${key}(-[a-z0-9]+)?`), "");
      }
      return value;
    };
    const types = host.types(r.dataLocale);
    const co = keyword("co", types, "default", collation === undefined ? undefined : collation.toLowerCase());
    const kf = keyword("kf", ["false", "lower", "upper"], "false", caseFirst);
    const kn = keyword("kn", ["false", "true"], "false", numeric);
    const locale = additions === "" ? r.locale : `${r.locale}-u${additions}`;
    const sensitivity = getOption(o, "sensitivity", "string", ["base", "accent", "case", "variant"], "variant");
    const ignorePunctuation = getOption(o, "ignorePunctuation", "boolean", undefined, false);
    slots.set(self, {
      resolved: { locale, usage, sensitivity, ignorePunctuation, collation: co, numeric: kn === "true", caseFirst: kf },
      compare: host.compare(r.dataLocale, co, kn === "true", kf, sensitivity, ignorePunctuation),
      bound: undefined,
    });
    return self;
  };
  const slotsOf = (c, what) => {
    const s = slots.get(c);
    if (s === undefined) throw new TypeError(`Method Intl.Collator.prototype.${what} called on incompatible receiver`);
    return s;
  };
  install(Collator, {
    supportedLocalesOf(locales, options = undefined) {
      const { supportedLocalesOf } = lib("intl_common");
      return supportedLocalesOf(locales, options, "collator");
    },
  });
  install(Collator.prototype, {
    get compare() {
      const s = slotsOf(this, "compare");
      if (s.bound === undefined) {
        const f = s.compare;
        // An anonymous built-in function of length 2 (§10.3.3.1).
        s.bound = (x, y) => f(String(x), String(y));
      }
      return s.bound;
    },
    resolvedOptions() { return { ...slotsOf(this, "resolvedOptions").resolved }; },
  });
  tagPrototype(Collator, "Intl.Collator");
  return { Collator };
})
