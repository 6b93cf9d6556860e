package engine

import (
	"math"
	"strconv"
	"sync"
	"time"
	_ "time/tzdata" // zones without the host's /usr/share/zoneinfo: sandboxes and containers

	"github.com/dop251/goja"
)

// Time zones for js/intl.js and Date.prototype.toLocaleString's timeZone.
func init() {
	libHosts["intl"] = func(r *run, host *goja.Object) {
		_ = host.Set("validZone", func(c goja.FunctionCall) goja.Value {
			_, ok := zone(c.Argument(0).String())
			return r.vm.ToValue(ok)
		})
		// parts(ms, zone, withName) and format(…): en-US numeric form,
		// "MM/DD/YYYY, HH:mm:ss" on a 24-hour clock, and " TZ" with withName.
		_ = host.Set("parts", func(c goja.FunctionCall) goja.Value {
			t, withName := zonedTime(c), c.Argument(2).ToBoolean()
			var parts []any
			add := func(typ, value string) {
				p := r.vm.NewObject()
				_ = p.Set("type", typ)
				_ = p.Set("value", value)
				parts = append(parts, p)
			}
			add("month", pad2(int(t.Month())))
			add("literal", "/")
			add("day", pad2(t.Day()))
			add("literal", "/")
			add("year", strconv.Itoa(t.Year()))
			add("literal", ", ")
			add("hour", pad2(t.Hour()))
			add("literal", ":")
			add("minute", pad2(t.Minute()))
			add("literal", ":")
			add("second", pad2(t.Second()))
			if withName {
				name, _ := t.Zone()
				add("literal", " ")
				add("timeZoneName", name)
			}
			return r.vm.NewArray(parts...)
		})
		_ = host.Set("format", func(c goja.FunctionCall) goja.Value {
			t := zonedTime(c)
			s := t.Format("01/02/2006, 15:04:05")
			if c.Argument(2).ToBoolean() {
				name, _ := t.Zone()
				s += " " + name
			}
			return r.vm.ToValue(s)
		})
	}
}

// zonedTime is the time at c's arguments (ms, zone), in that zone; the
// JavaScript side checked both.
func zonedTime(c goja.FunctionCall) time.Time {
	loc, ok := zone(c.Argument(1).String())
	if !ok {
		loc = time.UTC
	}
	return time.UnixMilli(c.Argument(0).ToInteger()).In(loc)
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

var zones sync.Map // name → *time.Location

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

// guardDate adds the timeZone option to Date.prototype.toLocaleString
// (goja ignores its options), which dayjs's timezone plugin relies on:
// the wall-clock time in that zone, in the en-US form that Date parses
// back ("11/24/2026, 8:03:11 PM").
func (r *run) guardDate(orig goja.Value) goja.Value {
	proto := orig.ToObject(r.vm).Get("prototype").ToObject(r.vm)
	toLocale, _ := goja.AssertFunction(proto.Get("toLocaleString"))
	getTime, _ := goja.AssertFunction(proto.Get("getTime"))
	r.define(proto, "toLocaleString", func(c goja.FunctionCall) goja.Value {
		opts, ok := arg(c.Arguments, 1).(*goja.Object)
		if !ok {
			return must(toLocale(c.This, c.Arguments...))
		}
		tz := opts.Get("timeZone")
		if tz == nil || goja.IsUndefined(tz) {
			return must(toLocale(c.This, c.Arguments...))
		}
		loc, ok := zone(tz.String())
		if !ok {
			panic(r.newError("RangeError", "Invalid time zone specified: "+tz.String()))
		}
		ms := must(getTime(c.This)).ToFloat()
		if math.IsNaN(ms) {
			return r.vm.ToValue("Invalid Date") // not the epoch, which UnixMilli would make of NaN
		}
		return r.vm.ToValue(time.UnixMilli(int64(ms)).In(loc).Format("1/2/2006, 3:04:05 PM"))
	})
	return orig
}
