// Number.prototype.toLocaleString and BigInt.prototype.toLocaleString
// (ECMA-402 §20.1.1, §21.1.1): a NumberFormat of the arguments (the
// guards in mod_intl_number.go call it). A plain locale string's (no
// options, so nothing observable is skipped) is kept for the runtime.
(function (host, lib) {
  "use strict";
  const { NumberFormat } = lib("intl_number");
  const plain = new Map();
  const toLocaleString = (x, locales, options) => {
    if (options === undefined && (locales === undefined || typeof locales === "string")) {
      let nf = plain.get(locales);
      if (nf === undefined) {
        nf = new NumberFormat(locales);
        if (plain.size >= 32) plain.clear();
        plain.set(locales, nf);
      }
      return nf.format(x);
    }
    return new NumberFormat(locales, options).format(x);
  };
  return { toLocaleString };
})
