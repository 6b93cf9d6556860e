package engine

import (
	"sync"
	"time"
	_ "time/tzdata" // zones without the host's /usr/share/zoneinfo: sandboxes and containers

	"github.com/dop251/goja"
)

// Time zones for js/intl.js and Date.prototype.toLocaleString's timeZone.
func init() {
	libHosts["intl"] = func(r *run, host *goja.Object) {
		_ = host.Set("tzParts", func(c goja.FunctionCall) goja.Value {
			loc, ok := zone(c.Argument(1).String())
			if !ok {
				return goja.Null()
			}
			t := time.UnixMilli(c.Argument(0).ToInteger()).In(loc)
			name, _ := t.Zone()
			return r.vm.NewArray(t.Year(), int(t.Month()), t.Day(), t.Hour(), t.Minute(), t.Second(), name)
		})
	}
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
// (goja ignores its options), which dayjs's timezone plugin relies on.
func (r *run) guardDate(orig goja.Value) goja.Value {
	proto := orig.ToObject(r.vm).Get("prototype").ToObject(r.vm)
	toLocale, _ := goja.AssertFunction(proto.Get("toLocaleString"))
	getTime, _ := goja.AssertFunction(proto.Get("getTime"))
	r.define(proto, "toLocaleString", func(c goja.FunctionCall) goja.Value {
		if opts, ok := arg(c.Arguments, 1).(*goja.Object); ok {
			if tz := opts.Get("timeZone"); tz != nil && !goja.IsUndefined(tz) {
				ms := must(getTime(c.This))
				format, _ := goja.AssertFunction(r.lib("intl").Get("localeString"))
				return must(format(goja.Undefined(), ms, opts))
			}
		}
		return must(toLocale(c.This, c.Arguments...))
	})
	return orig
}
