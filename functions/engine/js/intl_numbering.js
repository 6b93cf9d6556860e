// The numbering system of a number format (ECMA-402's "nu" locale
// extension and numberingSystem option), shared by Intl.NumberFormat and
// Intl.RelativeTimeFormat.
(function (host) {
  "use strict";
  // numberingOf: the option, else a -u-nu- keyword, when the system has
  // digits; else the locale's own. The keyword shows in the resolved
  // locale when it is the system used.
  const numberingOf = (r, option) => {
    const ext = r.extension.nu;
    if (option !== undefined && host.hasDigits(option)) {
      return { nu: option.toLowerCase(), locale: ext === option.toLowerCase() ? `${r.locale}-u-nu-${ext}` : r.locale };
    }
    if (ext !== undefined && ext !== "" && host.hasDigits(ext)) return { nu: ext, locale: `${r.locale}-u-nu-${ext}` };
    return { nu: host.numberingSystem(r.dataLocale, ""), locale: r.locale };
  };
  // The option must be a Unicode locale type (3–8 alphanumerics a part).
  const checkNumberingSystem = (ns) => {
    if (ns !== undefined && !/^[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$/i.test(ns)) throw new RangeError(`Invalid numberingSystem : ${ns}`);
  };
  return { numberingOf, checkNumberingSystem };
})
