// The Intl global (ECMA-402 §8): the namespace of the service
// constructors, each from the library that implements it.
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList } = lib("intl_common");
  const Intl = {};
  const define = (name, value) =>
    Object.defineProperty(Intl, name, { value, writable: true, enumerable: false, configurable: true });
  for (const part of ["intl_collator", "intl_datetime", "intl_displaynames", "intl_list", "intl_locale", "intl_number", "intl_relative"]) {
    const exports = lib(part);
    for (const name of Object.keys(exports)) define(name, exports[name]);
  }
  // Methods, not constructors: written as method definitions (see install).
  const methods = {
    getCanonicalLocales(locales) { return canonicalizeLocaleList(locales); },
    supportedValuesOf(key) { return host.supportedValues(`${key}`); }, // ToString (a Symbol is a TypeError); a RangeError for an unknown key
  };
  for (const name of Object.keys(methods)) define(name, methods[name]);
  Object.defineProperty(Intl, Symbol.toStringTag, { value: "Intl", configurable: true });
  return { Intl };
})
