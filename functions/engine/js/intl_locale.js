// Intl.Locale (ECMA-402 §14): a canonical Unicode locale identifier and
// its parts. Canonicalization and likely subtags are Go's (package intl,
// UTS #35 with CLDR's data).
(function (host, lib) {
  "use strict";
  const { coerceOptions, getOption, tagPrototype, install, localeTags } = lib("intl_common");
  const languageRE = /^([a-z]{2,3}|[a-z]{5,8})$/i, scriptRE = /^[a-z]{4}$/i, regionRE = /^([a-z]{2}|[0-9]{3})$/i;
  const typeRE = /^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i;
  const parts = new WeakMap(); // locale → host.parse's result

  const subtagOption = (o, name, re) => {
    const v = getOption(o, name, "string", undefined, undefined);
    if (v !== undefined && !re.test(v)) throw new RangeError(`Intl.Locale: invalid ${name} "${v}"`);
    return v;
  };
  const typeOption = (o, name) => {
    const v = getOption(o, name, "string", undefined, undefined);
    if (v !== undefined && !typeRE.test(v)) throw new RangeError(`Intl.Locale: invalid ${name} "${v}"`);
    return v;
  };

  const Locale = function Locale(tag, options = undefined) {
    if (new.target === undefined) throw new TypeError("Constructor Intl.Locale requires 'new'");
    if (typeof tag !== "string" && (typeof tag !== "object" || tag === null)) {
      throw new TypeError("Intl.Locale: the tag must be a string or an object");
    }
    tag = localeTags.has(tag) ? localeTags.get(tag) : String(tag);
    const o = coerceOptions(options);
    // ApplyOptionsToTag (§14.1.2), then the keywords (§14.1.3), each
    // option read once, in this order.
    const language = subtagOption(o, "language", languageRE);
    const script = subtagOption(o, "script", scriptRE);
    const region = subtagOption(o, "region", regionRE);
    const keywords = {};
    keywords.ca = typeOption(o, "calendar");
    keywords.co = typeOption(o, "collation");
    keywords.hc = getOption(o, "hourCycle", "string", ["h11", "h12", "h23", "h24"], undefined);
    keywords.kf = getOption(o, "caseFirst", "string", ["upper", "lower", "false"], undefined);
    const numeric = getOption(o, "numeric", "boolean", undefined, undefined);
    keywords.kn = numeric === undefined ? undefined : String(numeric);
    keywords.nu = typeOption(o, "numberingSystem");
    const p = host.build(tag, language, script, region, keywords); // a RangeError for a tag that is not well-formed
    const self = Object.create(new.target.prototype);
    parts.set(self, p);
    localeTags.set(self, p.tag);
    return self;
  };
  const partsOf = (l, what) => {
    const p = parts.get(l);
    if (p === undefined) throw new TypeError(`Method Intl.Locale.prototype.${what} called on incompatible receiver`);
    return p;
  };
  const keyword = (l, key, what) => {
    const v = partsOf(l, what).keywords[key];
    return v === undefined ? undefined : v;
  };
  const make = (tag) => new Locale(tag);
  install(Locale.prototype, {
    toString() { return partsOf(this, "toString").tag; },
    maximize() { return make(host.maximize(partsOf(this, "maximize").tag)); },
    minimize() { return make(host.minimize(partsOf(this, "minimize").tag)); },
    get language() { return partsOf(this, "language").language; },
    get script() { return partsOf(this, "script").script; },
    get region() { return partsOf(this, "region").region; },
    get baseName() { return partsOf(this, "baseName").baseName; },
    get calendar() { return keyword(this, "ca", "calendar"); },
    get caseFirst() { return keyword(this, "kf", "caseFirst"); },
    get collation() { return keyword(this, "co", "collation"); },
    get hourCycle() { return keyword(this, "hc", "hourCycle"); },
    get numeric() { const v = keyword(this, "kn", "numeric"); return v === "" || v === "true"; },
    get numberingSystem() { return keyword(this, "nu", "numberingSystem"); },
  });
  // What the locale prefers (Intl Locale Info): Node 20 has these as
  // getters, the standard now as methods; both are here, each answer a
  // new object.
  const info = (l, what) => host.info(partsOf(l, what).tag);
  install(Locale.prototype, {
    get calendars() { return info(this, "calendars").calendars; },
    get collations() { return info(this, "collations").collations; },
    get hourCycles() { return info(this, "hourCycles").hourCycles; },
    get numberingSystems() { return info(this, "numberingSystems").numberingSystems; },
    get textInfo() { return info(this, "textInfo").textInfo; },
    get timeZones() { return info(this, "timeZones").timeZones; },
    get weekInfo() { return info(this, "weekInfo").weekInfo; },
    getCalendars() { return info(this, "getCalendars").calendars; },
    getCollations() { return info(this, "getCollations").collations; },
    getHourCycles() { return info(this, "getHourCycles").hourCycles; },
    getNumberingSystems() { return info(this, "getNumberingSystems").numberingSystems; },
    getTextInfo() { return info(this, "getTextInfo").textInfo; },
    getTimeZones() { return info(this, "getTimeZones").timeZones; },
    getWeekInfo() { return info(this, "getWeekInfo").weekInfo; },
  });
  tagPrototype(Locale, "Intl.Locale");
  return { Locale };
})
