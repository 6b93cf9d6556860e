// What every Intl constructor shares, written from ECMA-402's abstract
// operations: the locale list (CanonicalizeLocaleList), locale negotiation
// (ResolveLocale, SupportedLocales; the data and the matching are Go's,
// package intl) and option reading (GetOption, GetNumberOption). Each
// reads its arguments exactly as often, and in the order, the standard
// says: user code can observe it through getters and proxies.
(function (host) {
  "use strict";
  const isObject = (v) => (typeof v === "object" && v !== null) || typeof v === "function";

  // CanonicalizeLocaleList (ECMA-402 §9.2.1).
  const canonicalizeLocaleList = (locales) => {
    if (locales === undefined) return [];
    const seen = [];
    if (locales === null) throw new TypeError("Intl: locales cannot be null"); // ToObject(null)
    const O = typeof locales === "string" ? [locales] : Object(locales);
    const len = Math.min(Math.max(Math.trunc(Number(O.length)) || 0, 0), 2 ** 53 - 1);
    for (let k = 0; k < len; k++) {
      if (!(k in O)) continue;
      const v = O[k];
      if (typeof v !== "string" && !isObject(v)) throw new TypeError("Intl: a locale must be a string or an object");
      const tag = host.canonicalTag(String(v)); // a RangeError for a tag that is not well-formed
      if (!seen.includes(tag)) seen.push(tag);
    }
    return seen;
  };

  // GetOptionsObject and CoerceOptionsToObject (§9.2.11–12).
  const optionsObject = (options) => {
    if (options === undefined) return Object.create(null);
    if (isObject(options)) return options;
    throw new TypeError("Intl: options must be an object");
  };
  const coerceOptions = (options) => {
    if (options === undefined) return Object.create(null);
    if (options === null) throw new TypeError("Intl: options cannot be null"); // ToObject(null)
    return Object(options);
  };

  // GetOption (§9.2.13): type "string" or "boolean"; values lists what is allowed.
  const getOption = (options, property, type, values, fallback) => {
    let value = options[property];
    if (value === undefined) return fallback;
    value = type === "boolean" ? Boolean(value) : `${value}`; // ToString: a Symbol is a TypeError
    if (values !== undefined && !values.includes(value)) {
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
  // by the lookup matcher ("best fit" is served by the same).
  const resolveLocale = (requested) => host.resolve(requested);

  // SupportedLocales (§9.2.10), for each constructor's supportedLocalesOf.
  const supportedLocalesOf = (locales, options) => {
    const requested = canonicalizeLocaleList(locales);
    const o = coerceOptions(options);
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    return [...host.supported(requested)]; // an ordinary array (Go's is not)
  };

  // tagPrototype gives a constructor's prototype its [Symbol.toStringTag],
  // as every Intl service constructor has ("Intl.Collator").
  const tagPrototype = (cls, tag) =>
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: tag, configurable: true });

  return { canonicalizeLocaleList, optionsObject, coerceOptions, getOption, defaultNumberOption, getNumberOption, resolveLocale, supportedLocalesOf, tagPrototype };
})
