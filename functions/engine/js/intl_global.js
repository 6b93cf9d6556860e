// The Intl global (ECMA-402 §8): the namespace of the service
// constructors, each from the library that implements it.
(function (host, lib) {
  "use strict";
  const { canonicalizeLocaleList } = lib("intl_common");
  const Intl = {};
  const define = (name, value) =>
    Object.defineProperty(Intl, name, { value, writable: true, enumerable: false, configurable: true });
  for (const part of ["intl_collator", "intl_datetime"]) {
    const exports = lib(part);
    for (const name of Object.keys(exports)) define(name, exports[name]);
  }
  define("getCanonicalLocales", function getCanonicalLocales(locales) { return canonicalizeLocaleList(locales); });
  Object.defineProperty(Intl, Symbol.toStringTag, { value: "Intl", configurable: true });
  return { Intl };
})
