package engine

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	_ "time/tzdata" // zones without the host's /usr/share/zoneinfo: sandboxes and containers

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions/engine/intl"
)

// Intl.DateTimeFormat's natives (js/intl_datetime.js reads the options;
// package intl compiles and formats) and the Date.prototype.toLocale*
// methods that use it.

// dateFormat is what a DateTimeFormat's slots hold: the compiled
// pattern and the zone.
type dateFormat struct {
	f    *intl.DateTimeFormat
	zone intl.Zone
}

func init() {
	libHosts["intl_datetime"] = func(r *run, host *goja.Object) {
		_ = host.Set("compile", func(c goja.FunctionCall) goja.Value {
			// Both arrays are the library's own: read without reflection.
			list, req := c.Argument(0).ToObject(r.vm), c.Argument(1).ToObject(r.vm)
			requested := make([]string, list.Get("length").ToInteger())
			for i := range requested {
				requested[i] = list.Get(strconv.Itoa(i)).String()
			}
			values := make([]goja.Value, len(dateRequest))
			for i := range values {
				values[i] = req.Get(strconv.Itoa(i))
			}
			return r.compileDateFormat(requested, values)
		})
		_ = host.Set("canonicalTag", func(c goja.FunctionCall) goja.Value {
			s := c.Argument(0).String()
			if tag, ok := canonicalTags.Load(s); ok {
				return r.vm.ToValue(tag)
			}
			tag, err := intl.Canonicalize(s)
			if err != nil {
				panic(r.newError("RangeError", err.Error()+": "+clip(s)))
			}
			if len(s) <= 64 && canonicalTagCount.Add(1) <= 4096 {
				canonicalTags.Store(s, tag)
			}
			return r.vm.ToValue(tag)
		})
		_ = host.Set("format", func(c goja.FunctionCall) goja.Value {
			d, ms := r.dateArgs(c)
			s, err := d.f.Format(ms, d.zone)
			if err != nil {
				panic(r.newError("RangeError", err.Error()))
			}
			return r.vm.ToValue(s)
		})
		_ = host.Set("parts", func(c goja.FunctionCall) goja.Value {
			d, ms := r.dateArgs(c)
			parts, err := d.f.FormatToParts(ms, d.zone)
			if err != nil {
				panic(r.newError("RangeError", err.Error()))
			}
			return r.partsArray(parts, "")
		})
		_ = host.Set("range", func(c goja.FunctionCall) goja.Value {
			d, x := r.dateArgs(c)
			y := timeClip(c.Argument(2).ToFloat())
			if math.IsNaN(y) {
				panic(r.newError("RangeError", "Invalid time value"))
			}
			parts, err := d.f.FormatRange(x, y, d.zone)
			if err != nil {
				panic(r.newError("RangeError", err.Error()))
			}
			if c.Argument(3).ToBoolean() {
				return r.partsArray(parts, "source")
			}
			return r.vm.ToValue(intl.RangeString(parts))
		})
	}
}

// timeClip is ECMA-262 TimeClip: NaN outside ±8.64e15, integers within.
func timeClip(ms float64) float64 {
	if math.IsNaN(ms) || math.Abs(ms) > intl.MaxTime {
		return math.NaN()
	}
	return math.Trunc(ms) + 0 // -0 → +0
}

// dateArgs are (handle, time value) with the time value clipped: a
// RangeError for an invalid one.
func (r *run) dateArgs(c goja.FunctionCall) (*dateFormat, float64) {
	d, _ := c.Argument(0).Export().(*dateFormat)
	if d == nil {
		panic(r.newError("TypeError", "Intl.DateTimeFormat: not a format"))
	}
	ms := timeClip(c.Argument(1).ToFloat())
	if math.IsNaN(ms) {
		panic(r.newError("RangeError", "Invalid time value"))
	}
	return d, ms
}

func (r *run) partsArray(parts []intl.Part, withSource string) goja.Value {
	out := make([]any, len(parts))
	for i, p := range parts {
		o := r.vm.NewObject()
		_ = o.Set("type", r.partName(p.Type))
		_ = o.Set("value", p.Value)
		if withSource != "" {
			_ = o.Set("source", r.partName(p.Source))
		}
		out[i] = o
	}
	return r.vm.NewArray(out...)
}

// partName is a part's type or source as a JavaScript string, made once
// per runtime (dayjs asks for a dozen parts per date).
func (r *run) partName(s string) goja.Value {
	if v, ok := r.partNames[s]; ok {
		return v
	}
	if r.partNames == nil {
		r.partNames = map[string]goja.Value{}
	}
	v := r.vm.ToValue(s)
	r.partNames[s] = v
	return v
}

// The request that js/intl_datetime.js hands compileDateFormat, in order.
var dateRequestNames = [...]string{"calendar", "numberingSystem", "hour12", "hourCycle", "timeZone", "weekday", "era", "year", "month", "day",
	"dayPeriod", "hour", "minute", "second", "fractionalSecondDigits", "timeZoneName", "dateStyle", "timeStyle"}

var dateRequest = dateRequestNames[:]

// compileDateFormat negotiates the locale of the requested ones (a
// canonical list) and compiles the options as read (in dateRequest's
// order); it returns {handle, resolved}: the format and its
// resolvedOptions, with the properties in Node's order.
func (r *run) compileDateFormat(requested []string, values []goja.Value) goja.Value {
	var texts [len(dateRequestNames)]string
	var b strings.Builder
	for i, l := range requested {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l)
	}
	for i := range texts {
		if i < len(values) && values[i] != nil && !goja.IsUndefined(values[i]) && !goja.IsNull(values[i]) {
			texts[i] = values[i].String()
		}
		b.WriteByte('|')
		b.WriteString(texts[i])
	}
	// The same locales and options make the same format: dayjs asks for
	// one on every toLocaleString. Kept for the runtime's life.
	key := b.String()
	if v, ok := r.dateFormats[key]; ok {
		return v
	}
	reqs := make(map[string]string, len(texts))
	for i, name := range dateRequest {
		reqs[name] = texts[i]
	}
	res := intl.Resolve(requested, intl.Formatting)
	extKey := func(k string) (string, bool) {
		v, ok := res.Extension[k]
		return v, ok
	}
	locale, dataLocale := res.Locale, res.Data
	var keep []string // the -u- keywords that resolvedOptions().locale keeps

	// Calendar: only the Gregorian one has data here.
	calendar := intl.DefaultCalendar(locale)
	extCa, hasCa := extKey("ca")
	if hasCa && extCa != "" {
		calendar = extCa
	}
	if opt := reqs["calendar"]; opt != "" {
		calendar = opt
		hasCa = hasCa && extCa == opt
	}
	if calendar == "gregorian" {
		calendar = "gregory"
	}
	if calendar != "gregory" {
		panic(r.newError("RangeError", fmt.Sprintf("Intl.DateTimeFormat: the %s calendar is not supported (only gregory: use a -u-ca-gregory locale or the calendar option)", calendar)))
	}
	if hasCa && extCa == "gregory" {
		keep = append(keep, "ca-gregory")
	}

	// Hour cycle: hour12 (given) set hourCycle to null, which drops the keyword.
	hour12 := reqs["hour12"]
	hcOpt := reqs["hourCycle"]
	hc := hcOpt
	if extHc, ok := extKey("hc"); ok && (extHc == "h11" || extHc == "h12" || extHc == "h23" || extHc == "h24") {
		switch {
		case hour12 != "":
			hc = extHc // not kept, but V8 counts hour12's cycle from it
		case hcOpt == "" || hcOpt == extHc:
			hc = extHc
			keep = append(keep, "hc-"+extHc)
		}
	}

	// Numbering system: a numeric one, from the option or the keyword.
	numbering := intl.NumberingSystem(dataLocale, "")
	if extNu, ok := extKey("nu"); ok {
		if _, numeric := intl.Digits(extNu); numeric {
			if opt := reqs["numberingSystem"]; opt == "" || opt == extNu {
				numbering = extNu
				keep = append(keep, "nu-"+extNu)
			}
		}
	}
	if opt := reqs["numberingSystem"]; opt != "" {
		if _, numeric := intl.Digits(opt); numeric {
			numbering = opt
		}
	}

	zoneName := "UTC" // the sandbox's clock: goja's Date runs on UTC there
	if v := reqs["timeZone"]; v != "" || (len(values) > 4 && values[4] != nil && !goja.IsUndefined(values[4])) {
		zoneName = v
	}
	goName, canonical, ok := intl.LookupZone(zoneName)
	if !ok {
		panic(r.newError("RangeError", "Invalid time zone specified: "+clip(zoneName)))
	}
	loc, ok := zone(goName)
	if !ok {
		panic(r.newError("RangeError", "Invalid time zone specified: "+zoneName))
	}

	fsd, _ := strconv.Atoi(reqs["fractionalSecondDigits"])
	o := intl.DateTimeOptions{
		Locale: locale, DataLocale: dataLocale, Numbering: numbering, HourCycle: hc, Hour12: hour12,
		Weekday: reqs["weekday"], Era: reqs["era"], Year: reqs["year"], Month: reqs["month"], Day: reqs["day"],
		DayPeriod: reqs["dayPeriod"], Hour: reqs["hour"], Minute: reqs["minute"], Second: reqs["second"],
		FractionalSecondDigits: fsd, TimeZoneName: reqs["timeZoneName"],
		DateStyle: reqs["dateStyle"], TimeStyle: reqs["timeStyle"],
	}
	f, err := intl.NewDateTimeFormat(o)
	if err != nil {
		panic(r.newError("RangeError", "Intl.DateTimeFormat: "+err.Error()))
	}

	shown := locale
	if len(keep) > 0 {
		shown += "-u"
		for _, k := range keep {
			shown += "-" + k
		}
	}
	resolved := r.vm.NewObject()
	set := func(k string, v any) { _ = resolved.Set(k, v) }
	set("locale", shown)
	set("calendar", calendar)
	set("numberingSystem", numbering)
	set("timeZone", canonical)
	rv := f.Resolved
	if rv.HourCycle != "" {
		set("hourCycle", rv.HourCycle)
		set("hour12", rv.HourCycle == "h11" || rv.HourCycle == "h12")
	}
	if o.DateStyle == "" && o.TimeStyle == "" {
		for _, kv := range [][2]string{{"weekday", rv.Weekday}, {"era", rv.Era}, {"year", rv.Year}, {"month", rv.Month}, {"day", rv.Day},
			{"dayPeriod", rv.DayPeriod}, {"hour", rv.Hour}, {"minute", rv.Minute}, {"second", rv.Second}} {
			if kv[1] != "" {
				set(kv[0], kv[1])
			}
		}
		if rv.FractionalSecondDigits > 0 {
			set("fractionalSecondDigits", rv.FractionalSecondDigits)
		}
		if rv.TimeZoneName != "" {
			set("timeZoneName", rv.TimeZoneName)
		}
	}
	if o.DateStyle != "" {
		set("dateStyle", o.DateStyle)
	}
	if o.TimeStyle != "" {
		set("timeStyle", o.TimeStyle)
	}
	out := r.vm.NewObject()
	_ = out.Set("handle", &dateFormat{f: f, zone: intl.Zone{Loc: loc, ID: canonical}})
	_ = out.Set("resolved", resolved)
	if r.dateFormats == nil || len(r.dateFormats) >= 256 {
		r.dateFormats = map[string]goja.Value{}
	}
	r.dateFormats[key] = out
	return out
}

var zones sync.Map // name → *time.Location

// canonicalTags are canonical language tags by the tag asked for: most
// calls name one of a few locales. Shared by every runtime (a tag's
// canonical form is no tenant's), so bounded: the first 4,096 short
// well-formed tags.
var (
	canonicalTags     sync.Map
	canonicalTagCount atomic.Int64
)

// zone loads an IANA zone once per process. LoadLocation refuses paths
// (".." or a leading "/"); "Local" is refused here, as it would tell the
// host's zone.
func zone(name string) (*time.Location, bool) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), true
	}
	if name == "" || name == "Local" || len(name) > 64 {
		return nil, false
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, false
	}
	zones.Store(name, loc)
	return loc, true
}

// guardDate gives Date.prototype.toLocaleString, toLocaleDateString and
// toLocaleTimeString their locales and options (ECMA-402 §20.4; goja's
// ignore both): Intl.DateTimeFormat's, with the "any"/"all", "date" and
// "time" defaults. The library loads on the first call.
func (r *run) guardDate(orig goja.Value) goja.Value {
	proto := orig.ToObject(r.vm).Get("prototype").ToObject(r.vm)
	getTime, _ := goja.AssertFunction(proto.Get("getTime"))
	for _, m := range []struct{ name, required, defaults string }{
		{"toLocaleString", "any", "all"}, {"toLocaleDateString", "date", "date"}, {"toLocaleTimeString", "time", "time"},
	} {
		r.define(proto, m.name, func(c goja.FunctionCall) goja.Value {
			ms := must(getTime(c.This)).ToFloat() // its TypeError for what is not a Date
			if math.IsNaN(ms) {
				return r.vm.ToValue("Invalid Date")
			}
			if d, ok := r.quickDateFormat(arg(c.Arguments, 0), arg(c.Arguments, 1), m.required, m.defaults); ok {
				s, err := d.f.Format(ms, d.zone)
				if err != nil {
					panic(r.newError("RangeError", err.Error()))
				}
				return r.vm.ToValue(s)
			}
			toLocale, _ := goja.AssertFunction(r.libExport("intl_datetime", "toLocale"))
			return must(toLocale(goja.Undefined(), r.vm.ToValue(ms), arg(c.Arguments, 0), arg(c.Arguments, 1), r.vm.ToValue(m.required), r.vm.ToValue(m.defaults)))
		})
	}
	return orig
}

// clip shortens what an error message repeats of a user's argument.
func clip(s string) string {
	if len(s) <= 64 {
		return s
	}
	return strings.ToValidUTF8(s[:64], "") + "…"
}
