// Intl.RelativeTimeFormat (ECMA-402 §18): options read here in the
// standard's order; the strings are CLDR's dateFields, the number a
// NumberFormat's, both in Go (package intl).
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList, coerceOptions, getOption, resolveLocale, supportedLocalesOf, tagPrototype } = lib("intl_common");
  const { numberingOf, checkNumberingSystem } = lib("intl_numbering");
  const isObject = (v) => (typeof v === "object" && v !== null) || typeof v === "function";
  const slots = new WeakMap(); // RelativeTimeFormat → { resolved, format }
  const matchers = ["lookup", "best fit"], styles = ["long", "short", "narrow"], numerics = ["always", "auto"];
  const units = ["second", "minute", "hour", "day", "week", "month", "quarter", "year"];

  const RelativeTimeFormat = function RelativeTimeFormat(locales = undefined, options = undefined) {
    if (new.target === undefined) throw new TypeError("Constructor Intl.RelativeTimeFormat requires 'new'");
    const requested = canonicalizeLocaleList(locales);
    const o = coerceOptions(options);
    getOption(o, "localeMatcher", "string", matchers, "best fit");
    const numberingSystem = getOption(o, "numberingSystem", "string", undefined, undefined);
    checkNumberingSystem(numberingSystem);
    const r = resolveLocale(requested);
    const nu = numberingOf(r, numberingSystem);
    const style = getOption(o, "style", "string", styles, "long");
    const numeric = getOption(o, "numeric", "string", numerics, "always");
    slots.set(this, {
      resolved: { locale: nu.locale, style, numeric, numberingSystem: nu.nu },
      format: host.relative(r.dataLocale, style, numeric, nu.nu),
    });
    return this;
  };
  const slotsOf = (rtf, what) => {
    const s = isObject(rtf) ? slots.get(rtf) : undefined;
    if (s === undefined) throw new TypeError(`Method Intl.RelativeTimeFormat.prototype.${what} called on incompatible receiver ${typeof rtf === "symbol" ? "Symbol()" : String(rtf)}`);
    return s;
  };
  // PartitionRelativeTimePattern's checks (§18.5.2): ToNumber(value),
  // ToString(unit), a singular or plural unit, a finite value.
  const call = (s, value, unit, toParts) => {
    value = +value; // ToNumber: a BigInt is a TypeError
    unit = `${unit}`; // ToString: a Symbol is a TypeError
    const singular = unit.endsWith("s") ? unit.slice(0, -1) : unit;
    if (!units.includes(singular)) throw new RangeError(`Invalid unit argument for format() '${unit}'`);
    if (!Number.isFinite(value)) throw new RangeError("Invalid value: the value must be finite");
    return s.format(value, String(value), singular, toParts);
  };
  // Built-in methods: not enumerable, no prototype of their own.
  const methods = (target, literal) => {
    for (const name of Object.keys(literal)) {
      Object.defineProperty(target, name, { value: literal[name], writable: true, enumerable: false, configurable: true });
    }
  };
  methods(RelativeTimeFormat.prototype, {
    format(value, unit) { return call(slotsOf(this, "format"), value, unit, false); },
    formatToParts(value, unit) { return call(slotsOf(this, "formatToParts"), value, unit, true); },
    resolvedOptions() { return { ...slotsOf(this, "resolvedOptions").resolved }; },
  });
  methods(RelativeTimeFormat, { supportedLocalesOf(locales, options = undefined) { return supportedLocalesOf(locales, options); } });
  tagPrototype(RelativeTimeFormat, "Intl.RelativeTimeFormat");
  Object.defineProperty(RelativeTimeFormat, "prototype", { writable: false });
  return { RelativeTimeFormat };
})
