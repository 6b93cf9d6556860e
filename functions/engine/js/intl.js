// A small Intl for the bundled libraries (dayjs's timezone plugin), not a
// global: goja has no Intl, and a partial global would mislead feature
// detection in user code. Only DateTimeFormat, in en-US form, with the
// time zone rules of Go's embedded tz database.
(function (host) {
  "use strict";
  const pad = (n) => (n < 10 ? "0" : "") + n;
  const zoneOf = (options) => {
    const tz = options == null || options.timeZone === undefined ? "UTC" : String(options.timeZone);
    if (host.tzParts(0, tz) === null) throw new RangeError(`Invalid time zone specified: ${tz}`);
    return tz;
  };
  class Formatter {
    #tz; #withName;
    constructor(locale, options) {
      this.#tz = zoneOf(options);
      this.#withName = !!(options && options.timeZoneName);
    }
    formatToParts(date) {
      const ms = date === undefined ? Date.now() : +date;
      if (!isFinite(ms)) throw new RangeError("Invalid time value");
      const [y, mo, d, h, mi, s, name] = host.tzParts(ms, this.#tz);
      const parts = [
        { type: "month", value: pad(mo) }, { type: "literal", value: "/" }, { type: "day", value: pad(d) },
        { type: "literal", value: "/" }, { type: "year", value: String(y) }, { type: "literal", value: ", " },
        { type: "hour", value: pad(h) }, { type: "literal", value: ":" }, { type: "minute", value: pad(mi) },
        { type: "literal", value: ":" }, { type: "second", value: pad(s) },
      ];
      if (this.#withName) parts.push({ type: "literal", value: " " }, { type: "timeZoneName", value: name });
      return parts;
    }
    format(date) { return this.formatToParts(date).map((p) => p.value).join(""); }
    resolvedOptions() { return { locale: "en-US", calendar: "gregory", numberingSystem: "latn", timeZone: this.#tz }; }
  }

  // Intl.DateTimeFormat works with and without new, as the standard's does.
  function DateTimeFormat(locale, options) { return new Formatter(locale, options); }
  DateTimeFormat.prototype = Formatter.prototype;

  // toLocaleString(locale, {timeZone}) for Date.prototype: the wall-clock
  // time in that zone, in the en-US form that Date parses back.
  const localeString = (ms, options) => {
    const tz = zoneOf(options);
    if (!isFinite(ms)) return "Invalid Date"; // not the epoch, which tzParts would make of NaN
    const [y, mo, d, h, mi, s] = host.tzParts(ms, tz);
    return `${mo}/${d}/${y}, ${h % 12 === 0 ? 12 : h % 12}:${pad(mi)}:${pad(s)} ${h < 12 ? "AM" : "PM"}`;
  };
  return { Intl: { DateTimeFormat }, localeString };
})
