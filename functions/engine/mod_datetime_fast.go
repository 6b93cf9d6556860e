package engine

import (
	"math"
	"reflect"
	"regexp"
	"slices"

	"github.com/dop251/goja"
)

// The Date methods' fast path: dayjs calls toLocaleString with an
// options literal for every date, and reading those options through
// js/intl_datetime.js costs some 30 µs where Go needs 5.

// captureDateNatives takes Object.prototype and
// Object.getOwnPropertyDescriptor as the runtime starts.
func (r *run) captureDateNatives() {
	object := r.vm.Get("Object").ToObject(r.vm)
	describe, _ := goja.AssertFunction(object.Get("getOwnPropertyDescriptor"))
	r.dateNatives = &dateNatives{objectProto: object.Get("prototype").ToObject(r.vm), describe: describe}
}

// dateNatives are what the Date methods' fast path needs, taken when
// the runtime is set up, before user code can replace them.
type dateNatives struct {
	objectProto *goja.Object
	describe    goja.Callable // Object.getOwnPropertyDescriptor
}

// dateOptionNames are every option a DateTimeFormat reads.
var dateOptionNames = []string{"localeMatcher", "calendar", "numberingSystem", "hour12", "hourCycle", "timeZone",
	"weekday", "era", "year", "month", "day", "dayPeriod", "hour", "minute", "second", "fractionalSecondDigits",
	"timeZoneName", "formatMatcher", "dateStyle", "timeStyle"}

var dateOptionValues = map[string][]string{
	"localeMatcher": {"lookup", "best fit"}, "hourCycle": {"h11", "h12", "h23", "h24"},
	"weekday": {"narrow", "short", "long"}, "era": {"narrow", "short", "long"}, "year": {"2-digit", "numeric"},
	"month": {"2-digit", "numeric", "narrow", "short", "long"}, "day": {"2-digit", "numeric"}, "dayPeriod": {"narrow", "short", "long"},
	"hour": {"2-digit", "numeric"}, "minute": {"2-digit", "numeric"}, "second": {"2-digit", "numeric"},
	"timeZoneName":  {"short", "long", "shortOffset", "longOffset", "shortGeneric", "longGeneric"},
	"formatMatcher": {"basic", "best fit"}, "dateStyle": {"full", "long", "medium", "short"}, "timeStyle": {"full", "long", "medium", "short"},
}

// quickDateFormat is the format of a toLocale* call whose options no
// user code can watch being read: an ordinary object (no proxy) of
// Object.prototype, its options data properties holding valid
// primitives, none of them on Object.prototype. Then reading them in Go
// is what the library's reading would be, without its cost (dayjs calls
// toLocaleString for every date). Anything else, errors included, goes
// the library's way (false).
func (r *run) quickDateFormat(locales, options goja.Value, required, defaults string) (*dateFormat, bool) {
	n := r.dateNatives
	if n == nil {
		return nil, false
	}
	var requested []string
	switch {
	case goja.IsUndefined(locales):
	case isPrimitiveString(locales):
		s := locales.String()
		tag, ok := canonicalTags.Load(s)
		if !ok {
			return nil, false // the library's path canonicalizes and remembers it
		}
		requested = []string{tag.(string)}
	default:
		return nil, false
	}
	opts := map[string]goja.Value{}
	if !goja.IsUndefined(options) {
		o, ok := options.(*goja.Object)
		if !ok || o.ExportType() == reflect.TypeOf(goja.Proxy{}) || o.ClassName() != "Object" || o.Prototype() != n.objectProto {
			return nil, false
		}
		for _, k := range n.objectProto.GetOwnPropertyNames() {
			if _, isOption := dateOptionValues[k]; isOption || k == "calendar" || k == "numberingSystem" || k == "hour12" || k == "timeZone" || k == "fractionalSecondDigits" {
				return nil, false
			}
		}
		for _, k := range o.GetOwnPropertyNames() {
			if !slices.Contains(dateOptionNames, k) {
				continue
			}
			d, err := n.describe(goja.Undefined(), o, r.vm.ToValue(k))
			if err != nil {
				return nil, false
			}
			desc := d.ToObject(r.vm)
			if g := desc.Get("get"); g != nil {
				return nil, false // an accessor: the library calls it, in order
			}
			v := desc.Get("value")
			if !isPlainPrimitive(v) {
				return nil, false // an object's conversion runs its code, a symbol's throws
			}
			opts[k] = v
		}
	}
	has := func(k string) bool { v, ok := opts[k]; return ok && !goja.IsUndefined(v) }
	// ToDateTimeOptions, the method's then CreateDateTimeFormat's.
	for _, pass := range [][2]string{{required, defaults}, {"any", "date"}} {
		need := true
		if pass[0] == "date" || pass[0] == "any" {
			for _, k := range []string{"weekday", "year", "month", "day"} {
				need = need && !has(k)
			}
		}
		if pass[0] == "time" || pass[0] == "any" {
			for _, k := range []string{"dayPeriod", "hour", "minute", "second", "fractionalSecondDigits"} {
				need = need && !has(k)
			}
		}
		if has("dateStyle") || has("timeStyle") {
			need = false
			if pass[0] != "any" {
				return nil, false // the library's TypeError
			}
		}
		if need && (pass[1] == "date" || pass[1] == "all") {
			opts["year"], opts["month"], opts["day"] = r.vm.ToValue("numeric"), r.vm.ToValue("numeric"), r.vm.ToValue("numeric")
		}
		if need && (pass[1] == "time" || pass[1] == "all") {
			opts["hour"], opts["minute"], opts["second"] = r.vm.ToValue("numeric"), r.vm.ToValue("numeric"), r.vm.ToValue("numeric")
		}
	}
	values := make([]goja.Value, len(dateRequest))
	explicit := false
	for i, k := range dateRequest {
		v, ok := opts[k]
		if !ok || goja.IsUndefined(v) {
			continue
		}
		switch k {
		case "hour12":
			values[i] = r.vm.ToValue(v.ToBoolean())
		case "fractionalSecondDigits":
			f := v.ToFloat()
			if math.IsNaN(f) || f < 1 || f > 3 {
				return nil, false
			}
			values[i] = r.vm.ToValue(math.Floor(f))
		case "calendar", "numberingSystem":
			if !typeSequence.MatchString(v.String()) {
				return nil, false
			}
			values[i] = r.vm.ToValue(v.String())
		default:
			s := v.String()
			if allowed, ok := dateOptionValues[k]; ok && !slices.Contains(allowed, s) {
				return nil, false
			}
			values[i] = r.vm.ToValue(s)
		}
		if i >= 5 && i <= 15 {
			explicit = true
		}
	}
	if has("hour12") {
		values[3] = nil // hourCycle is null
	}
	for _, k := range []string{"localeMatcher", "formatMatcher"} {
		if v, ok := opts[k]; ok && !goja.IsUndefined(v) && !slices.Contains(dateOptionValues[k], v.String()) {
			return nil, false
		}
	}
	if explicit && (values[16] != nil || values[17] != nil) {
		return nil, false
	}
	var made goja.Value
	if err := r.vm.Try(func() { made = r.compileDateFormat(requested, values) }); err != nil {
		return nil, false
	}
	d, _ := made.ToObject(r.vm).Get("handle").Export().(*dateFormat)
	return d, d != nil
}

var typeSequence = regexp.MustCompile(`^(?i)[a-z0-9]{3,8}(-[a-z0-9]{3,8})*$`)

// isPlainPrimitive: undefined, null, a boolean, a number or a string,
// whose conversions run no code and throw nothing.
func isPlainPrimitive(v goja.Value) bool {
	if v == nil || goja.IsUndefined(v) || goja.IsNull(v) {
		return true
	}
	switch v.(type) {
	case *goja.Object, *goja.Symbol:
		return false
	}
	t := v.ExportType()
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Float64, reflect.Int64, reflect.Int:
		return true
	}
	return false
}

func isPrimitiveString(v goja.Value) bool {
	_, isObj := v.(*goja.Object)
	return !isObj && v.ExportType() != nil && v.ExportType().Kind() == reflect.String
}
