// Intl.NumberFormat (ECMA-402 §15) and Intl.PluralRules (§16). Options are
// read here, each once, in the standard's order (user code sees it through
// getters; Node.js 20 reads roundingIncrement before notation and
// roundingMode last, an older draft's order). resolvedOptions lists its
// properties in Node's order. Formatting and rounding are Go's (package
// intl), on the exact decimal.
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList, coerceOptions, getOption, getNumberOption, defaultNumberOption, resolveLocale, supportedLocalesOf, tagPrototype } = lib("intl_common");
  const { numberingOf, checkNumberingSystem } = lib("intl_numbering");
  // Captured once: the library runs after user code, which may have
  // replaced these (and each global name costs a lookup).
  const { assign, create, defineProperty } = Object;
  const { isNaN } = Number;
  const { min, max } = Math;
  const isObject = (v) => (typeof v === "object" && v !== null) || typeof v === "function";
  const slots = new WeakMap(); // NumberFormat → { resolved, formatter, bound }
  const pluralSlots = new WeakMap(); // PluralRules → { resolved, select }

  const increments = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000];
  const roundingModes = ["ceil", "floor", "expand", "trunc", "halfCeil", "halfFloor", "halfExpand", "halfTrunc", "halfEven"];

  // The values each option allows (one array each, made once).
  const allowed = {
    roundingPriority: ["auto", "morePrecision", "lessPrecision"],
    trailingZeroDisplay: ["auto", "stripIfInteger"],
    localeMatcher: ["lookup", "best fit"],
    style: ["decimal", "percent", "currency", "unit"],
    currencyDisplay: ["code", "symbol", "narrowSymbol", "name"],
    currencySign: ["standard", "accounting"],
    unitDisplay: ["short", "narrow", "long"],
    notation: ["standard", "scientific", "engineering", "compact"],
    compactDisplay: ["short", "long"],
    signDisplay: ["auto", "never", "always", "exceptZero", "negative"],
    type: ["cardinal", "ordinal"],
    roundingMode: roundingModes,
  };

  // SetNumberFormatDigitOptions (§15.1.3): the digit options are read,
  // then roundingIncrement, roundingMode, roundingPriority and
  // trailingZeroDisplay (PluralRules, as in Node 20, reads only
  // roundingPriority of those), then converted and checked.
  // resolveDigits puts the digit options a rounding type uses on
  // resolvedOptions' object, in Node's order.
  const resolveDigits = (resolved, digits) => {
    if (digits.roundingType !== "fractionDigits") {
      resolved.minimumSignificantDigits = digits.minimumSignificantDigits;
      resolved.maximumSignificantDigits = digits.maximumSignificantDigits;
    }
    if (digits.roundingType !== "significantDigits") {
      resolved.minimumFractionDigits = digits.minimumFractionDigits;
      resolved.maximumFractionDigits = digits.maximumFractionDigits;
    }
  };
  const digitOptions = (o, mnfdDefault, mxfdDefault, notation, forFormat) => {
    const mnid = getNumberOption(o, "minimumIntegerDigits", 1, 21, 1);
    let mnfd = o.minimumFractionDigits;
    let mxfd = o.maximumFractionDigits;
    let mnsd = o.minimumSignificantDigits;
    let mxsd = o.maximumSignificantDigits;
    let roundingIncrement = 1, roundingMode = "halfExpand", trailingZeroDisplay = "auto";
    if (forFormat) {
      roundingIncrement = getNumberOption(o, "roundingIncrement", 1, 5000, 1);
      if (!increments.includes(roundingIncrement)) throw new RangeError("roundingIncrement value is out of range.");
      roundingMode = getOption(o, "roundingMode", "string", allowed.roundingMode, "halfExpand");
    }
    const roundingPriority = getOption(o, "roundingPriority", "string", allowed.roundingPriority, "auto");
    if (forFormat) trailingZeroDisplay = getOption(o, "trailingZeroDisplay", "string", allowed.trailingZeroDisplay, "auto");
    const d = { minimumIntegerDigits: mnid, roundingPriority, roundingIncrement, roundingMode, trailingZeroDisplay };
    if (roundingIncrement !== 1) mxfdDefault = mnfdDefault;
    const hasSd = mnsd !== undefined || mxsd !== undefined;
    const hasFd = mnfd !== undefined || mxfd !== undefined;
    let needSd = true, needFd = true;
    if (roundingPriority === "auto") {
      needSd = hasSd;
      if (needSd || (!hasFd && notation === "compact")) needFd = false;
    }
    if (needSd) {
      if (hasSd) {
        mnsd = defaultNumberOption(mnsd, 1, 21, 1, "minimumSignificantDigits");
        mxsd = defaultNumberOption(mxsd, mnsd, 21, 21, "maximumSignificantDigits");
        d.minimumSignificantDigits = mnsd;
        d.maximumSignificantDigits = mxsd;
      } else {
        d.minimumSignificantDigits = 1;
        d.maximumSignificantDigits = 21;
      }
    }
    if (needFd) {
      if (hasFd) {
        mnfd = defaultNumberOption(mnfd, 0, 100, undefined, "minimumFractionDigits");
        mxfd = defaultNumberOption(mxfd, 0, 100, undefined, "maximumFractionDigits");
        if (mnfd === undefined) mnfd = min(mnfdDefault, mxfd);
        else if (mxfd === undefined) mxfd = max(mxfdDefault, mnfd);
        else if (mnfd > mxfd) throw new RangeError("maximumFractionDigits value is out of range.");
        d.minimumFractionDigits = mnfd;
        d.maximumFractionDigits = mxfd;
      } else {
        d.minimumFractionDigits = mnfdDefault;
        d.maximumFractionDigits = mxfdDefault;
      }
    }
    if (!needSd && !needFd) {
      assign(d, { minimumFractionDigits: 0, maximumFractionDigits: 0, minimumSignificantDigits: 1, maximumSignificantDigits: 2 });
      d.roundingType = "morePrecision";
      d.roundingPriority = "morePrecision";
    } else if (roundingPriority === "auto") {
      d.roundingType = hasSd ? "significantDigits" : "fractionDigits";
    } else {
      d.roundingType = roundingPriority;
    }
    if (roundingIncrement !== 1) {
      if (d.roundingType !== "fractionDigits") throw new TypeError("RoundingType is not fractionDigits");
      if (d.maximumFractionDigits !== d.minimumFractionDigits) throw new RangeError("maximumFractionDigits not equal to minimumFractionDigits");
    }
    return d;
  };

  // IsWellFormedCurrencyCode (§6.3.1) and IsWellFormedUnitIdentifier (§6.6.2).
  const wellFormedCurrency = (c) => /^[A-Za-z]{3}$/.test(c);
  const wellFormedUnit = (u) => host.isUnit(u);

  // GetBooleanOrStringNumberFormatOption for useGrouping (V8: the
  // strings "true" and "false" give the default).
  const useGroupingOption = (o, fallback) => {
    const value = o.useGrouping;
    if (value === undefined) return fallback;
    if (value === true) return "always";
    if (!value) return false;
    const s = String(value);
    if (s === "true" || s === "false") return fallback;
    if (!["min2", "auto", "always"].includes(s)) throw new RangeError(`Value ${s} out of range for Intl.NumberFormat options property useGrouping`);
    return s;
  };

  const NumberFormat = function NumberFormat(locales = undefined, options = undefined) {
    const self = new.target === undefined ? create(NumberFormat.prototype) : this;
    const requested = canonicalizeLocaleList(locales);
    const o = coerceOptions(options);
    getOption(o, "localeMatcher", "string", allowed.localeMatcher, "best fit");
    const numberingSystem = getOption(o, "numberingSystem", "string", undefined, undefined);
    checkNumberingSystem(numberingSystem);
    const r = resolveLocale(requested);
    const nu = numberingOf(r, numberingSystem);
    // SetNumberFormatUnitOptions (§15.1.4).
    const style = getOption(o, "style", "string", allowed.style, "decimal");
    let currency = getOption(o, "currency", "string", undefined, undefined);
    if (currency === undefined) {
      if (style === "currency") throw new TypeError("Currency code is required with currency style.");
    } else if (!wellFormedCurrency(currency)) throw new RangeError(`Invalid currency code : ${currency}`);
    const currencyDisplay = getOption(o, "currencyDisplay", "string", allowed.currencyDisplay, "symbol");
    const currencySign = getOption(o, "currencySign", "string", allowed.currencySign, "standard");
    const unit = getOption(o, "unit", "string", undefined, undefined);
    if (unit === undefined) {
      if (style === "unit") throw new TypeError("Unit is required with unit style.");
    } else if (!wellFormedUnit(unit)) throw new RangeError(`Invalid unit argument for Intl.NumberFormat() '${unit}'`);
    const unitDisplay = getOption(o, "unitDisplay", "string", allowed.unitDisplay, "short");
    if (currency !== undefined) currency = currency.toUpperCase();
    const cDigits = style === "currency" ? host.currencyDigits(currency) : 0;
    const notation = getOption(o, "notation", "string", allowed.notation, "standard");
    const digits = style === "currency" ? digitOptions(o, cDigits, cDigits, notation, true)
      : digitOptions(o, 0, style === "percent" ? 0 : 3, notation, true);
    const { roundingIncrement, roundingMode } = digits;
    const compactDisplay = getOption(o, "compactDisplay", "string", allowed.compactDisplay, "short");
    const useGrouping = useGroupingOption(o, notation === "compact" ? "min2" : "auto");
    const signDisplay = getOption(o, "signDisplay", "string", allowed.signDisplay, "auto");

    // resolvedOptions, in Node's property order.
    const resolved = { locale: nu.locale, numberingSystem: nu.nu, style };
    if (style === "currency") {
      resolved.currency = currency;
      resolved.currencyDisplay = currencyDisplay;
      resolved.currencySign = currencySign;
    }
    if (style === "unit") {
      resolved.unit = unit;
      resolved.unitDisplay = unitDisplay;
    }
    resolved.minimumIntegerDigits = digits.minimumIntegerDigits;
    resolveDigits(resolved, digits);
    resolved.useGrouping = useGrouping;
    resolved.notation = notation;
    if (notation === "compact") resolved.compactDisplay = compactDisplay;
    resolved.signDisplay = signDisplay;
    resolved.roundingMode = roundingMode;
    resolved.roundingIncrement = roundingIncrement;
    resolved.trailingZeroDisplay = digits.trailingZeroDisplay;
    resolved.roundingPriority = digits.roundingPriority;
    const formatter = host.formatter(r.dataLocale, {
      numberingSystem: nu.nu, style, currency, currencyDisplay, currencySign, unit, unitDisplay, notation, compactDisplay, signDisplay,
      roundingMode, roundingIncrement, trailingZeroDisplay: digits.trailingZeroDisplay, roundingType: digits.roundingType,
      minimumIntegerDigits: digits.minimumIntegerDigits,
      minimumSignificantDigits: digits.minimumSignificantDigits || 0, maximumSignificantDigits: digits.maximumSignificantDigits || 0,
      minimumFractionDigits: digits.minimumFractionDigits || 0, maximumFractionDigits: digits.maximumFractionDigits || 0,
      useGrouping: useGrouping === false ? "" : useGrouping,
    });
    slots.set(self, { resolved, formatter, bound: undefined });
    // ChainNumberFormat (ECMA-402 4.3 note 1, the legacy constructor
    // mode Node keeps): NumberFormat.call(an instance) stores the new
    // format on it under a symbol and returns it.
    if (new.target === undefined && isObject(this) && ordinaryHasInstance.call(NumberFormat, this)) {
      defineProperty(this, fallbackSymbol, { value: self, writable: false, enumerable: false, configurable: false });
      return this;
    }
    return self;
  };
  const fallbackSymbol = Symbol("IntlLegacyConstructedSymbol");
  // OrdinaryHasInstance, not instanceof (no Symbol.hasInstance lookup);
  // Function.prototype's own is neither writable nor configurable.
  const ordinaryHasInstance = Function.prototype[Symbol.hasInstance];

  // ToPrimitive(value, number) without the ToNumber after it: a BigInt
  // or a string stays as it is (ToIntlMathematicalValue, §15.5.16).
  const toPrimitive = (v) => {
    const exotic = v[Symbol.toPrimitive];
    if (exotic !== undefined && exotic !== null) {
      if (typeof exotic !== "function") throw new TypeError("Symbol.toPrimitive is not a function");
      const p = exotic.call(v, "number");
      if (isObject(p)) throw new TypeError("Cannot convert object to primitive value");
      return p;
    }
    for (const name of ["valueOf", "toString"]) {
      const m = v[name];
      if (typeof m === "function") {
        const p = m.call(v);
        if (!isObject(p)) return p;
      }
    }
    throw new TypeError("Cannot convert object to primitive value");
  };
  // mathValue is what the Go side formats: a number, a BigInt, or a
  // string (a decimal, read exactly in Go; NaN when it is not one).
  const mathValue = (value) => {
    const p = isObject(value) ? toPrimitive(value) : value;
    if (typeof p === "symbol") throw new TypeError("Cannot convert a Symbol value to a number");
    return p;
  };

  // UnwrapNumberFormat (§15.5.2), for format and resolvedOptions.
  const unwrap = (nf) => {
    if (isObject(nf) && !slots.has(nf) && ordinaryHasInstance.call(NumberFormat, nf)) return nf[fallbackSymbol];
    return nf;
  };
  const slotsOf = (nf, what) => {
    if (what === "format" || what === "resolvedOptions") nf = unwrap(nf);
    const s = isObject(nf) ? slots.get(nf) : undefined;
    if (s === undefined) throw new TypeError(`Method Intl.NumberFormat.prototype.${what} called on incompatible receiver ${typeof nf === "symbol" ? "Symbol()" : String(nf)}`);
    return s;
  };
  // methods puts an object literal's methods on a prototype as built-in
  // methods are: not enumerable, and (being methods) no prototype of
  // their own, their names and lengths the literal's.
  const methods = (target, literal) => {
    for (const name of Object.keys(literal)) {
      defineProperty(target, name, { value: literal[name], writable: true, enumerable: false, configurable: true });
    }
  };
  defineProperty(NumberFormat.prototype, "format", {
    get: Object.getOwnPropertyDescriptor({
      get format() {
        const s = slotsOf(this, "format");
        if (s.bound === undefined) {
          const f = s.formatter;
          const bound = (value) => f(typeof value === "number" ? value : mathValue(value), false);
          defineProperty(bound, "name", { value: "" });
          s.bound = bound;
        }
        return s.bound;
      },
    }, "format").get,
    configurable: true,
  });
  // formatRange and formatRangeToParts (§15.3.5–6): both ends formatted,
  // joined by the range pattern; a range whose ends look the same is
  // "approximately" the one value.
  const rangeEnds = (start, end, what) => {
    if (start === undefined || end === undefined) throw new TypeError(`Intl.NumberFormat.prototype.${what}: start and end are required`);
    const x = mathValue(start), y = mathValue(end);
    if (host.isNaN(x) || host.isNaN(y)) throw new RangeError("Invalid number in a range");
    return [x, y];
  };
  methods(NumberFormat.prototype, {
    formatToParts(value) {
      const s = slotsOf(this, "formatToParts");
      return s.formatter(mathValue(value), true);
    },
    formatRange(start, end) {
      const s = slotsOf(this, "formatRange");
      const [x, y] = rangeEnds(start, end, "formatRange");
      return s.formatter(x, false, y);
    },
    formatRangeToParts(start, end) {
      const s = slotsOf(this, "formatRangeToParts");
      const [x, y] = rangeEnds(start, end, "formatRangeToParts");
      return s.formatter(x, true, y);
    },
    resolvedOptions() {
      return { ...slotsOf(this, "resolvedOptions").resolved };
    },
  });
  const statics = { supportedLocalesOf(locales, options = undefined) { return supportedLocalesOf(locales, options); } };
  methods(NumberFormat, statics);
  tagPrototype(NumberFormat, "Intl.NumberFormat");

  // Intl.PluralRules (§16).
  const PluralRules = function PluralRules(locales = undefined, options = undefined) {
    if (new.target === undefined) throw new TypeError("Constructor Intl.PluralRules requires 'new'");
    const requested = canonicalizeLocaleList(locales);
    const o = coerceOptions(options);
    getOption(o, "localeMatcher", "string", allowed.localeMatcher, "best fit");
    const type = getOption(o, "type", "string", allowed.type, "cardinal");
    const digits = digitOptions(o, 0, 3, "standard", false);
    const r = resolveLocale(requested);
    const resolved = { locale: r.locale, type, minimumIntegerDigits: digits.minimumIntegerDigits };
    resolveDigits(resolved, digits);
    const rules = host.plural(r.dataLocale, type, {
      roundingType: digits.roundingType, minimumIntegerDigits: digits.minimumIntegerDigits,
      minimumSignificantDigits: digits.minimumSignificantDigits || 0, maximumSignificantDigits: digits.maximumSignificantDigits || 0,
      minimumFractionDigits: digits.minimumFractionDigits || 0, maximumFractionDigits: digits.maximumFractionDigits || 0,
    });
    resolved.pluralCategories = rules.categories;
    if (digits.roundingPriority !== "auto") resolved.roundingPriority = digits.roundingPriority;
    pluralSlots.set(this, { resolved, select: rules.select, selectRange: rules.selectRange });
    return this;
  };
  const pluralSlotsOf = (pr, what) => {
    const s = isObject(pr) ? pluralSlots.get(pr) : undefined;
    if (s === undefined) throw new TypeError(`Method Intl.PluralRules.prototype.${what} called on incompatible receiver ${typeof pr === "symbol" ? "Symbol()" : String(pr)}`);
    return s;
  };
  methods(PluralRules.prototype, {
    select(value) {
      const s = pluralSlotsOf(this, "select");
      return s.select(+value); // ToNumber: a BigInt is a TypeError
    },
    // selectRange (§16.3.5): both ends required, numbers, not NaN.
    selectRange(start, end) {
      const s = pluralSlotsOf(this, "selectRange");
      if (start === undefined || end === undefined) throw new TypeError("Intl.PluralRules.prototype.selectRange: start and end are required");
      const x = +start, y = +end;
      if (isNaN(x) || isNaN(y)) throw new RangeError("Intl.PluralRules.prototype.selectRange: NaN is not a range end");
      return s.selectRange(x, y);
    },
    resolvedOptions() {
      const r = { ...pluralSlotsOf(this, "resolvedOptions").resolved };
      r.pluralCategories = [...r.pluralCategories];
      return r;
    },
  });
  methods(PluralRules, statics);
  tagPrototype(PluralRules, "Intl.PluralRules");

  // Constructors' prototype properties are not writable (§15.2.1 and the like).
  for (const C of [NumberFormat, PluralRules]) defineProperty(C, "prototype", { writable: false });

  // Only the constructors: intl_global puts every export on Intl.
  return { NumberFormat, PluralRules };
})
