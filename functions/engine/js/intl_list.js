// Intl.ListFormat (ECMA-402 §13): CLDR's list patterns, joined in Go.
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList, optionsObject, getOption, resolveLocale, tagPrototype, install, statics, append } = lib("intl_common");
  const slots = new WeakMap();

  const ListFormat = function ListFormat(locales = undefined, options = undefined) {
    if (new.target === undefined) throw new TypeError("Constructor Intl.ListFormat requires 'new'");
    const requested = canonicalizeLocaleList(locales);
    const o = optionsObject(options);
    getOption(o, "localeMatcher", "string", ["lookup", "best fit"], "best fit");
    const r = resolveLocale(requested);
    const type = getOption(o, "type", "string", ["conjunction", "disjunction", "unit"], "conjunction");
    const style = getOption(o, "style", "string", ["long", "short", "narrow"], "long");
    const self = Object.create(new.target.prototype);
    slots.set(self, { locale: r.locale, dataLocale: r.dataLocale, type, style });
    return self;
  };
  const slotsOf = (l, what) => {
    const s = slots.get(l);
    if (s === undefined) throw new TypeError(`Method Intl.ListFormat.prototype.${what} called on incompatible receiver`);
    return s;
  };
  // StringListFromIterable (§13.5.3): strings only; the iterator is
  // closed when an element is not one.
  const stringList = (iterable) => {
    const list = [];
    if (iterable === undefined) return list;
    for (const v of iterable) {
      if (typeof v !== "string") throw new TypeError("Intl.ListFormat: every element must be a string");
      append(list, v);
    }
    return list;
  };
  statics(ListFormat);
  install(ListFormat.prototype, {
    resolvedOptions() {
      const s = slotsOf(this, "resolvedOptions");
      return { locale: s.locale, type: s.type, style: s.style };
    },
    format(list) {
      const s = slotsOf(this, "format");
      return host.format(s.dataLocale, s.type, s.style, stringList(list), false);
    },
    formatToParts(list) {
      const s = slotsOf(this, "formatToParts");
      return host.format(s.dataLocale, s.type, s.style, stringList(list), true);
    },
  });
  tagPrototype(ListFormat, "Intl.ListFormat");
  return { ListFormat };
})
