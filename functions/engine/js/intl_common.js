// What every Intl constructor shares, written from ECMA-402's abstract
// operations: the locale list (CanonicalizeLocaleList), locale negotiation
// (ResolveLocale, SupportedLocales; the data and the matching are Go's,
// package intl) and option reading (GetOption, GetNumberOption). Each
// reads its arguments exactly as often, and in the order, the standard
// says: user code can observe it through getters and proxies.
(function (host) {
  "use strict";
  // Taken when Intl loads: what user code does to Object later does not
  // reach Intl.
  const { defineProperty, create, getOwnPropertyDescriptor } = Object;
  // append and has touch no Array.prototype method, which user code may
  // have replaced.
  const append = (list, v) =>
    defineProperty(list, list.length, { value: v, writable: true, enumerable: true, configurable: true });
  const has = (list, v) => {
    for (let i = 0; i < list.length; i++) if (list[i] === v) return true;
    return false;
  };
  // localeTags are the tags of the Intl.Locale objects (their [[Locale]]).
  const localeTags = new WeakMap();
  const isObject = (v) => (typeof v === "object" && v !== null) || typeof v === "function";

  // CanonicalizeLocaleList (ECMA-402 §9.2.1).
  const canonicalizeLocaleList = (locales) => {
    if (locales === undefined) return [];
    if (locales === null) throw new TypeError("Intl: locales must not be null");
    const seen = [];
    const known = create(null); // tags in seen: a lookup no user code can watch
    const O = typeof locales === "string" || localeTags.has(locales) ? [locales] : Object(locales);
    const len = Math.min(Math.max(Math.trunc(Number(O.length)) || 0, 0), 2 ** 53 - 1);
    for (let k = 0; k < len; k++) {
      if (!(k in O)) continue;
      const v = O[k];
      if (typeof v !== "string" && !isObject(v)) throw new TypeError("Intl: a locale must be a string or an object");
      // An Intl.Locale gives its tag; anything else its string, which must
      // be well-formed (a RangeError otherwise).
      const tag = localeTags.has(v) ? localeTags.get(v) : host.canonicalTag(String(v));
      if (!(tag in known)) {
        known[tag] = true;
        append(seen, tag);
      }
    }
    return seen;
  };

  // GetOptionsObject and CoerceOptionsToObject (§9.2.11–12).
  const optionsObject = (options) => {
    if (options === undefined) return create(null);
    if (isObject(options)) return options;
    throw new TypeError("Intl: options must be an object");
  };
  const coerceOptions = (options) => {
    if (options === undefined) return create(null);
    if (options === null) throw new TypeError("Intl: options must not be null"); // ToObject(null)
    return Object(options);
  };

  // GetOption (§9.2.13): type "string" or "boolean"; values lists what is allowed.
  const getOption = (options, property, type, values, fallback) => {
    let value = options[property];
    if (value === undefined) return fallback;
    value = type === "boolean" ? Boolean(value) : `${value}`; // ToString: a Symbol is a TypeError
    if (values !== undefined && !has(values, value)) {
      throw new RangeError(`Value ${value} out of range for Intl options property ${property}`);
    }
    return value;
  };

  // DefaultNumberOption and GetNumberOption (§9.2.14–15).
  const defaultNumberOption = (value, minimum, maximum, fallback, property) => {
    if (value === undefined) return fallback;
    value = Number(value);
    if (Number.isNaN(value) || value < minimum || value > maximum) {
      throw new RangeError(`${property} value is out of range.`);
    }
    return Math.floor(value);
  };
  const getNumberOption = (options, property, minimum, maximum, fallback) =>
    defaultNumberOption(options[property], minimum, maximum, fallback, property);

  // resolveLocale: {locale, dataLocale, extension} for a canonical list,
  // by the lookup matcher ("best fit" is served by the same). service
  // "collator" resolves among Collator's locales; the default, among the
  // formatting ones.
  const resolveLocale = (requested, service = "") => host.resolve(requested, service);

  // SupportedLocales (§9.2.10), for each constructor's supportedLocalesOf.
  const supportedLocalesOf = (locales, options, service = "") => {
    const requested = canonicalizeLocaleList(locales);
    const o = coerceOptions(options);
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    return host.supported(requested, service);
  };

  // tagPrototype gives a constructor's prototype its [Symbol.toStringTag],
  // as every Intl service constructor has ("Intl.Collator"), and makes
  // the constructor's prototype property read-only, as built-ins have it.
  const tagPrototype = (ctor, tag) => {
    defineProperty(ctor, "prototype", { writable: false });
    defineProperty(ctor.prototype, Symbol.toStringTag, { value: tag, configurable: true });
  };

  // install copies the methods and accessors of an object literal onto
  // target as a built-in's: not enumerable, and, written as method
  // definitions ({ format() {} , get compare() {} }), with no prototype,
  // not constructors, and named as the standard says ("get compare").
  const install = (target, source) => {
    for (const key of Reflect.ownKeys(source)) {
      const d = getOwnPropertyDescriptor(source, key);
      d.enumerable = false;
      defineProperty(target, key, d);
    }
    return target;
  };

  // statics gives an Intl constructor its supportedLocalesOf of an Intl constructor.
  const statics = (ctor) =>
    install(ctor, { supportedLocalesOf(locales, options = undefined) { return supportedLocalesOf(locales, options); } });

  return { canonicalizeLocaleList, optionsObject, coerceOptions, getOption, defaultNumberOption, getNumberOption, resolveLocale, supportedLocalesOf, tagPrototype, install, statics, append, has, localeTags };
})
