// A small Intl for the bundled libraries (dayjs's timezone plugin), not a
// global: goja has no Intl, and a partial global would mislead feature
// detection in user code. Only DateTimeFormat, in en-US form, with the
// time zone rules of Go's embedded tz database. The formatting itself is
// in Go (mod_intl.go): dayjs calls it several times per date.
(function (host) {
  "use strict";
  const zoneOf = (options) => {
    const tz = options == null || options.timeZone === undefined ? "UTC" : String(options.timeZone);
    if (!host.validZone(tz)) throw new RangeError(`Invalid time zone specified: ${tz}`);
    return tz;
  };
  const timeOf = (date) => {
    const ms = date === undefined ? Date.now() : +date;
    if (!isFinite(ms)) throw new RangeError("Invalid time value");
    return ms;
  };
  class Formatter {
    #tz; #withName;
    constructor(locale, options) {
      this.#tz = zoneOf(options);
      this.#withName = !!(options && options.timeZoneName);
    }
    formatToParts(date) { return host.parts(timeOf(date), this.#tz, this.#withName); }
    format(date) { return host.format(timeOf(date), this.#tz, this.#withName); }
    resolvedOptions() { return { locale: "en-US", calendar: "gregory", numberingSystem: "latn", timeZone: this.#tz }; }
  }

  // Intl.DateTimeFormat works with and without new, as the standard's does.
  function DateTimeFormat(locale, options) { return new Formatter(locale, options); }
  DateTimeFormat.prototype = Formatter.prototype;
  return { Intl: { DateTimeFormat } };
})
