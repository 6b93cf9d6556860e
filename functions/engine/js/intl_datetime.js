// Intl.DateTimeFormat (ECMA-402 §11) and the Date.prototype.toLocale*
// methods built on it. Options are read here, in the order V8 reads them
// (Node's: ToDateTimeOptions first, then CreateDateTimeFormat's list);
// patterns, names and time zones are Go's (package intl, CLDR 48).
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList, getOption, defaultNumberOption, resolveLocale, tagPrototype } = lib("intl_common");
  const supportedLocalesOfAll = lib("intl_common").supportedLocalesOf;
  const slots = new WeakMap(); // format → {handle, resolved, bound}
  const isObject = (v) => (typeof v === "object" && v !== null) || typeof v === "function";
  const typeSequence = /^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i;

  // ToDateTimeOptions (ECMA-402 2021 §11.1.2, as V8 still does it): the
  // options as the prototype of a new object that gets the defaults.
  const toDateTimeOptions = (options, required, defaults) => {
    const o = Object.create(options === undefined ? null : Object(options));
    let needDefaults = true;
    if (required === "date" || required === "any") {
      for (const p of ["weekday", "year", "month", "day"]) if (o[p] !== undefined) needDefaults = false;
    }
    if (required === "time" || required === "any") {
      for (const p of ["dayPeriod", "hour", "minute", "second", "fractionalSecondDigits"]) if (o[p] !== undefined) needDefaults = false;
    }
    const dateStyle = o.dateStyle;
    const timeStyle = o.timeStyle;
    if (dateStyle !== undefined || timeStyle !== undefined) needDefaults = false;
    if (required === "date" && timeStyle !== undefined) throw new TypeError("Invalid option : timeStyle");
    if (required === "time" && dateStyle !== undefined) throw new TypeError("Invalid option : dateStyle");
    const set = (p) => Object.defineProperty(o, p, { value: "numeric", writable: true, enumerable: true, configurable: true });
    if (needDefaults && (defaults === "date" || defaults === "all")) ["year", "month", "day"].forEach(set);
    if (needDefaults && (defaults === "time" || defaults === "all")) ["hour", "minute", "second"].forEach(set);
    return o;
  };

  const components = [
    ["weekday", ["narrow", "short", "long"]],
    ["era", ["narrow", "short", "long"]],
    ["year", ["2-digit", "numeric"]],
    ["month", ["2-digit", "numeric", "narrow", "short", "long"]],
    ["day", ["2-digit", "numeric"]],
    ["dayPeriod", ["narrow", "short", "long"]],
    ["hour", ["2-digit", "numeric"]],
    ["minute", ["2-digit", "numeric"]],
    ["second", ["2-digit", "numeric"]],
    ["fractionalSecondDigits"],
    ["timeZoneName", ["short", "long", "shortOffset", "longOffset", "shortGeneric", "longGeneric"]],
  ];
  const styles = ["full", "long", "medium", "short"];

  // CreateDateTimeFormat: the slots of a new format.
  const create = (locales, options) => {
    const requested = canonicalizeLocaleList(locales);
    const o = toDateTimeOptions(options, "any", "date");
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    const calendar = getOption(o, "calendar", "string", undefined, undefined);
    if (calendar !== undefined && !typeSequence.test(calendar)) throw new RangeError(`Invalid calendar : ${calendar}`);
    const numberingSystem = getOption(o, "numberingSystem", "string", undefined, undefined);
    if (numberingSystem !== undefined && !typeSequence.test(numberingSystem)) throw new RangeError(`Invalid numberingSystem : ${numberingSystem}`);
    const hour12 = getOption(o, "hour12", "boolean", undefined, undefined);
    let hourCycle = getOption(o, "hourCycle", "string", ["h11", "h12", "h23", "h24"], undefined);
    if (hour12 !== undefined) hourCycle = null;
    const r = resolveLocale(requested);
    let timeZone = o.timeZone;
    timeZone = timeZone === undefined ? undefined : String(timeZone);
    const req = { calendar, numberingSystem, hour12, hourCycle, timeZone };
    let explicit;
    for (const [name, values] of components) {
      const v = name === "fractionalSecondDigits"
        ? defaultNumberOption(o[name], 1, 3, undefined, name)
        : getOption(o, name, "string", values, undefined);
      req[name] = v;
      if (v !== undefined && explicit === undefined) explicit = name;
    }
    getOption(o, "formatMatcher", "string", ["basic", "best fit"], "best fit");
    req.dateStyle = getOption(o, "dateStyle", "string", styles, undefined);
    req.timeStyle = getOption(o, "timeStyle", "string", styles, undefined);
    if ((req.dateStyle !== undefined || req.timeStyle !== undefined) && explicit !== undefined) {
      throw new TypeError(`Can't set option ${explicit} when ${req.dateStyle !== undefined ? "dateStyle" : "timeStyle"} is used`);
    }
    const made = host.compile(r, req); // a RangeError for what it cannot serve
    return { handle: made.handle, resolved: made.resolved, bound: undefined };
  };

  const DateTimeFormat = function DateTimeFormat(locales = undefined, options = undefined) {
    const self = new.target === undefined ? Object.create(DateTimeFormat.prototype) : this;
    slots.set(self, create(locales, options));
    return self;
  };
  const slotsOf = (f, what) => {
    const s = isObject(f) ? slots.get(f) : undefined;
    if (s === undefined) throw new TypeError(`Method Intl.DateTimeFormat.prototype.${what} called on incompatible receiver ${typeof f === "symbol" ? "Symbol()" : String(f)}`);
    return s;
  };
  // The time value of a format's argument (undefined: now).
  const timeOf = (date) => (date === undefined ? Date.now() : Number(date));

  const method = (name, length, f) =>
    Object.defineProperty(DateTimeFormat.prototype, name, {
      value: Object.defineProperty(f, "length", { value: length }), writable: true, configurable: true,
    });
  Object.defineProperty(DateTimeFormat, "supportedLocalesOf", {
    value: function supportedLocalesOf(locales, options = undefined) { return supportedLocalesOfAll(locales, options); },
    writable: true, configurable: true,
  });
  method("resolvedOptions", 0, function resolvedOptions() { return { ...slotsOf(this, "resolvedOptions").resolved }; });
  method("formatToParts", 1, function formatToParts(date) {
    const s = slotsOf(this, "formatToParts");
    return host.parts(s.handle, timeOf(date));
  });
  Object.defineProperty(DateTimeFormat.prototype, "format", {
    get: function format() {
      const s = slotsOf(this, "format");
      if (s.bound === undefined) {
        const h = s.handle;
        s.bound = Object.defineProperty((date) => host.format(h, timeOf(date)), "name", { value: "" });
      }
      return s.bound;
    },
    configurable: true,
  });
  const rangeArgs = (startDate, endDate) => {
    if (startDate === undefined || endDate === undefined) throw new TypeError("startDate and endDate must be defined");
    return [Number(startDate), Number(endDate)];
  };
  method("formatRange", 2, function formatRange(startDate, endDate) {
    const s = slotsOf(this, "formatRange");
    const [x, y] = rangeArgs(startDate, endDate);
    return host.range(s.handle, x, y, false);
  });
  method("formatRangeToParts", 2, function formatRangeToParts(startDate, endDate) {
    const s = slotsOf(this, "formatRangeToParts");
    const [x, y] = rangeArgs(startDate, endDate);
    return host.range(s.handle, x, y, true);
  });
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
