// Intl.DateTimeFormat (ECMA-402 §11) and the Date.prototype.toLocale*
// methods built on it. Options are read here, in the order V8 reads them
// (Node's: ToDateTimeOptions first, then CreateDateTimeFormat's list);
// patterns, names and time zones are Go's (package intl, CLDR 48).
(function (host, lib) {
  "use strict";
  // eslint-disable-next-line no-shadow-restricted-names
  const undefined = void 0; // a local: the global one is a lookup through the global proxy
  const { canonicalizeLocaleList, tagPrototype } = lib("intl_common");
  const supportedLocalesOfAll = lib("intl_common").supportedLocalesOf;
  // The globals this library uses, taken once: the global object is a
  // proxy, and dayjs formats through here several times per date.
  const { create: objectCreate, defineProperty } = Object;
  const isNaN = Number.isNaN, floor = Math.floor;
  const toObject = Object, toBoolean = Boolean, toNumber = Number, now = Date.now;
  const toString = (v) => `${v}`; // ToString: a TypeError for a symbol, which String() would write
  const TypeErr = TypeError, RangeErr = RangeError, WeakMapCtor = WeakMap;
  const slots = new WeakMapCtor(); // format → {handle, resolved, bound}
  const isObject = (v) => (typeof v === "object" && v !== null) || typeof v === "function";

  // GetOption (ECMA-402 §9.2.13).
  const getOption = (options, property, type, values, fallback) => {
    let value = options[property];
    if (value === undefined) return fallback;
    value = type === "boolean" ? toBoolean(value) : toString(value);
    if (values !== undefined && values.indexOf(value) < 0) {
      throw new RangeErr(`Value ${value} out of range for Intl.DateTimeFormat options property ${property}`);
    }
    return value;
  };

  const dateFields = ["weekday", "year", "month", "day"];
  const timeFields = ["dayPeriod", "hour", "minute", "second", "fractionalSecondDigits"];
  const numericValue = { value: "numeric", writable: true, enumerable: true, configurable: true };

  // ToDateTimeOptions (ECMA-402 2021 §11.1.2, as V8 still does it): the
  // options as the prototype of a new object that gets the defaults.
  const toDateTimeOptions = (options, required, defaults) => {
    if (options === null) throw new TypeErr("Cannot convert undefined or null to object");
    const o = objectCreate(options === undefined ? null : toObject(options));
    let needDefaults = true;
    if (required === "date" || required === "any") {
      for (let i = 0; i < dateFields.length; i++) if (o[dateFields[i]] !== undefined) needDefaults = false;
    }
    if (required === "time" || required === "any") {
      for (let i = 0; i < timeFields.length; i++) if (o[timeFields[i]] !== undefined) needDefaults = false;
    }
    const dateStyle = o.dateStyle;
    const timeStyle = o.timeStyle;
    if (dateStyle !== undefined || timeStyle !== undefined) needDefaults = false;
    if (required === "date" && timeStyle !== undefined) throw new TypeErr("Invalid option : timeStyle");
    if (required === "time" && dateStyle !== undefined) throw new TypeErr("Invalid option : dateStyle");
    if (needDefaults && (defaults === "date" || defaults === "all")) {
      defineProperty(o, "year", numericValue);
      defineProperty(o, "month", numericValue);
      defineProperty(o, "day", numericValue);
    }
    if (needDefaults && (defaults === "time" || defaults === "all")) {
      defineProperty(o, "hour", numericValue);
      defineProperty(o, "minute", numericValue);
      defineProperty(o, "second", numericValue);
    }
    return o;
  };

  const texts = ["narrow", "short", "long"];
  const numbers = ["2-digit", "numeric"];
  const componentNames = ["weekday", "era", "year", "month", "day", "dayPeriod", "hour", "minute", "second", "fractionalSecondDigits", "timeZoneName"];
  const componentValues = [texts, texts, numbers, ["2-digit", "numeric", "narrow", "short", "long"], numbers, texts, numbers, numbers, numbers, undefined,
    ["short", "long", "shortOffset", "longOffset", "shortGeneric", "longGeneric"]];
  const styles = ["full", "long", "medium", "short"];
  const typeSequence = /^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i;

  // CreateDateTimeFormat: the slots of a new format. The locale
  // negotiation and the pattern are Go's, in one call (cached there).
  const create = (locales, options) => {
    if (locales === null) throw new TypeErr("Cannot convert undefined or null to object"); // CanonicalizeLocaleList's ToObject
    const requested = typeof locales === "string" ? [host.canonicalTag(locales)] : canonicalizeLocaleList(locales);
    const o = toDateTimeOptions(options, "any", "date");
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    const calendar = getOption(o, "calendar", "string", undefined, undefined);
    if (calendar !== undefined && !typeSequence.test(calendar)) throw new RangeErr(`Invalid calendar : ${calendar}`);
    const numberingSystem = getOption(o, "numberingSystem", "string", undefined, undefined);
    if (numberingSystem !== undefined && !typeSequence.test(numberingSystem)) throw new RangeErr(`Invalid numberingSystem : ${numberingSystem}`);
    const hour12 = getOption(o, "hour12", "boolean", undefined, undefined);
    let hourCycle = getOption(o, "hourCycle", "string", ["h11", "h12", "h23", "h24"], undefined);
    if (hour12 !== undefined) hourCycle = null;
    let timeZone = o.timeZone;
    if (timeZone !== undefined) timeZone = toString(timeZone);
    const req = [calendar, numberingSystem, hour12, hourCycle, timeZone];
    let explicit;
    for (let i = 0; i < componentNames.length; i++) {
      const name = componentNames[i];
      let v;
      if (i === 9) {
        v = o[name];
        if (v !== undefined) {
          v = toNumber(v);
          if (isNaN(v) || v < 1 || v > 3) throw new RangeErr(`${name} value is out of range.`);
          v = floor(v);
        }
      } else {
        v = getOption(o, name, "string", componentValues[i], undefined);
      }
      req.push(v);
      if (v !== undefined && explicit === undefined) explicit = name;
    }
    getOption(o, "formatMatcher", "string", ["basic", "best fit"], "best fit");
    const dateStyle = getOption(o, "dateStyle", "string", styles, undefined);
    const timeStyle = getOption(o, "timeStyle", "string", styles, undefined);
    if ((dateStyle !== undefined || timeStyle !== undefined) && explicit !== undefined) {
      throw new TypeErr(`Can't set option ${explicit} when ${dateStyle !== undefined ? "dateStyle" : "timeStyle"} is used`);
    }
    req.push(dateStyle, timeStyle);
    const made = host.compile(requested, req); // a RangeError for what it cannot serve
    return { handle: made.handle, resolved: made.resolved, bound: undefined };
  };

  // ECMA-402's legacy constructor semantics (§11.1.1 ChainDateTimeFormat,
  // as V8 has them): called on an object that inherits from the
  // prototype, the format is kept under a symbol of that object, which
  // format and resolvedOptions unwrap.
  const fallbackSymbol = Symbol("IntlLegacyConstructedSymbol");
  const isPrototypeOf = Object.prototype.isPrototypeOf;
  const inherits = (o) => isObject(o) && isPrototypeOf.call(DateTimeFormat.prototype, o);
  const DateTimeFormat = function DateTimeFormat(locales = undefined, options = undefined) {
    const self = new.target === undefined ? objectCreate(DateTimeFormat.prototype) : this;
    slots.set(self, create(locales, options));
    if (new.target === undefined && inherits(this)) {
      defineProperty(this, fallbackSymbol, { value: self, writable: false, enumerable: false, configurable: false });
      return this;
    }
    return self;
  };
  const unwrap = (f) => (isObject(f) && !slots.has(f) && inherits(f) ? f[fallbackSymbol] : f);
  const slotsOf = (f, what) => {
    const s = isObject(f) ? slots.get(f) : undefined;
    if (s === undefined) throw new TypeErr(`Method Intl.DateTimeFormat.prototype.${what} called on incompatible receiver ${typeof f === "symbol" ? "Symbol()" : String(f)}`);
    return s;
  };
  // The time value of a format's argument (undefined: now).
  const timeOf = (date) => (date === undefined ? now() : toNumber(date));

  const rangeArgs = (startDate, endDate) => {
    if (startDate === undefined || endDate === undefined) throw new TypeErr("startDate and endDate must be defined");
    return [toNumber(startDate), toNumber(endDate)];
  };
  // Methods of an object literal: like the built-ins, not constructors.
  const members = {
    supportedLocalesOf(locales, options = undefined) { return supportedLocalesOfAll(locales, options); },
    resolvedOptions() { return { ...slotsOf(unwrap(this), "resolvedOptions").resolved }; },
    formatToParts(date) { return host.parts(slotsOf(this, "formatToParts").handle, timeOf(date)); },
    get format() {
      const s = slotsOf(unwrap(this), "format");
      if (s.bound === undefined) {
        const h = s.handle;
        s.bound = defineProperty((date) => host.format(h, timeOf(date)), "name", { value: "" });
      }
      return s.bound;
    },
    formatRange(startDate, endDate) {
      const s = slotsOf(this, "formatRange");
      const [x, y] = rangeArgs(startDate, endDate);
      return host.range(s.handle, x, y, false);
    },
    formatRangeToParts(startDate, endDate) {
      const s = slotsOf(this, "formatRangeToParts");
      const [x, y] = rangeArgs(startDate, endDate);
      return host.range(s.handle, x, y, true);
    },
  };
  const member = (name) => Object.getOwnPropertyDescriptor(members, name).value;
  defineProperty(DateTimeFormat, "supportedLocalesOf", { value: member("supportedLocalesOf"), writable: true, configurable: true });
  for (const name of ["resolvedOptions", "formatToParts", "formatRange", "formatRangeToParts"]) {
    defineProperty(DateTimeFormat.prototype, name, { value: member(name), writable: true, configurable: true });
  }
  defineProperty(DateTimeFormat.prototype, "format", { get: Object.getOwnPropertyDescriptor(members, "format").get, configurable: true });
  defineProperty(DateTimeFormat, "prototype", { writable: false });
  tagPrototype(DateTimeFormat, "Intl.DateTimeFormat");

  // Date.prototype.toLocaleString and kin (ECMA-402 §20.4): Go has
  // checked this and the time value; formats without locales and options
  // are kept, as they are what most calls ask for.
  const defaults = { any: undefined, date: undefined, time: undefined };
  const toLocale = (ms, locales, options, required, dflt) => {
    let s;
    if (locales === undefined && options === undefined) {
      s = defaults[required] || (defaults[required] = create(undefined, toDateTimeOptions(undefined, required, dflt)));
    } else {
      s = create(locales, toDateTimeOptions(options, required, dflt));
    }
    return host.format(s.handle, ms);
  };
  // toLocale is for guardDate, not a member of Intl: intl_global takes
  // the enumerable exports only.
  return Object.defineProperty({ DateTimeFormat }, "toLocale", { value: toLocale });
})
