package engine

import (
	"context"
	"encoding/json"
	"time"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
)

// The kv module: the function's tenant's key-value store. Every call
// returns a Promise; values are JSON (what JSON.stringify accepts).
//
//	const kv = require("kv")
//	await kv.set("user:1", {name: "Ada"}, {ttl: 3600})   // ttl in seconds
//	await kv.get("user:1")                                // the value, or null
//	await kv.incr("hits", 1, {ttl: 60})                   // the new number
//	await kv.delete("user:1")                             // true if it was there
//	await kv.list({prefix: "user:", limit: 100, cursor})  // {keys: [{name, expiration}], cursor, list_complete}
func init() {
	registerModule("kv", (*run).kvModule)
}

func (r *run) kvModule() goja.Value {
	m := r.vm.NewObject()
	method := func(name string, build func(c goja.FunctionCall) functions.KVOp, answer func(functions.KVReply) goja.Value) {
		_ = m.Set(name, func(c goja.FunctionCall) goja.Value {
			op := build(c)
			op.Op = name
			return r.kvCall(op, answer)
		})
	}
	method("get", func(c goja.FunctionCall) functions.KVOp { return functions.KVOp{Key: r.kvKey(c.Argument(0))} },
		func(rep functions.KVReply) goja.Value {
			if !rep.OK {
				return goja.Null()
			}
			return must(r.parse(goja.Undefined(), r.vm.ToValue(string(rep.Value))))
		})
	method("set", func(c goja.FunctionCall) functions.KVOp {
		return functions.KVOp{Key: r.kvKey(c.Argument(0)), Value: r.kvValue(c.Argument(1)), TTL: r.kvTTL(c.Argument(2))}
	}, func(functions.KVReply) goja.Value { return goja.Undefined() })
	method("delete", func(c goja.FunctionCall) functions.KVOp { return functions.KVOp{Key: r.kvKey(c.Argument(0))} },
		func(rep functions.KVReply) goja.Value { return r.vm.ToValue(rep.OK) })
	method("incr", func(c goja.FunctionCall) functions.KVOp {
		by := 1.0
		if v := c.Argument(1); !goja.IsUndefined(v) {
			by = v.ToFloat()
			if by != by || by > 1e15 || by < -1e15 {
				panic(r.newError("TypeError", "kv.incr: by must be a finite number"))
			}
		}
		return functions.KVOp{Key: r.kvKey(c.Argument(0)), By: by, TTL: r.kvTTL(c.Argument(2))}
	}, func(rep functions.KVReply) goja.Value { return r.vm.ToValue(rep.Number) })
	method("list", func(c goja.FunctionCall) functions.KVOp {
		op := functions.KVOp{}
		if o, ok := c.Argument(0).(*goja.Object); ok {
			if v := o.Get("prefix"); v != nil && !goja.IsUndefined(v) {
				op.Prefix = v.String()
			}
			if v := o.Get("cursor"); v != nil && !goja.IsUndefined(v) && !goja.IsNull(v) {
				op.Cursor = v.String()
			}
			if v := o.Get("limit"); v != nil && !goja.IsUndefined(v) {
				op.Limit = int(v.ToInteger())
			}
		}
		return op
	}, func(rep functions.KVReply) goja.Value {
		keys := make([]any, 0, len(rep.Keys))
		for _, k := range rep.Keys {
			o := r.vm.NewObject()
			_ = o.Set("name", k.Name)
			if k.Expiration > 0 {
				_ = o.Set("expiration", k.Expiration)
			}
			keys = append(keys, o)
		}
		out := r.vm.NewObject()
		_ = out.Set("keys", r.vm.NewArray(keys...))
		_ = out.Set("list_complete", rep.Complete)
		if rep.Cursor != "" {
			_ = out.Set("cursor", rep.Cursor)
		}
		return out
	})
	return m
}

// kvCall runs op in the background and settles a Promise with answer(reply).
func (r *run) kvCall(op functions.KVOp, answer func(functions.KVReply) goja.Value) goja.Value {
	p, resolve, reject := r.vm.NewPromise()
	kv, inv := r.e.cfg.KV, r.inv
	r.startAsync(func(ctx context.Context) func() error {
		rep := functions.KVReply{Code: "unavailable", Error: "the kv store is not available on this gateway"}
		if kv != nil {
			rep = kv.KV(ctx, inv, op)
		}
		return func() error {
			if rep.Error != "" {
				ctor := "Error"
				if rep.Code == "invalid" {
					ctor = "TypeError"
				}
				e := r.newError(ctor, "kv."+op.Op+": "+rep.Error)
				_ = e.Set("code", rep.Code)
				return reject(e)
			}
			return resolve(answer(rep))
		}
	})
	return r.vm.ToValue(p)
}

func (r *run) kvKey(v goja.Value) string {
	if s, ok := v.Export().(string); ok {
		return s
	}
	panic(r.newError("TypeError", "a kv key must be a string"))
}

// kvValue serializes a value with the run's own JSON.stringify (captured
// before user code ran), within the value cap.
func (r *run) kvValue(v goja.Value) json.RawMessage {
	if goja.IsUndefined(v) {
		panic(r.newError("TypeError", "kv.set: a value is required (use kv.delete to remove a key)"))
	}
	if bad := r.checkJSON(v); bad != nil {
		panic(r.newError("TypeError", "kv.set: the value cannot be stored: "+safeString(bad)))
	}
	s := must(r.stringify(goja.Undefined(), v))
	if goja.IsUndefined(s) {
		panic(r.newError("TypeError", "kv.set: the value is not JSON-serializable"))
	}
	return json.RawMessage(s.String())
}

// kvTTL reads {ttl: seconds} from an options argument.
func (r *run) kvTTL(v goja.Value) time.Duration {
	o, ok := v.(*goja.Object)
	if !ok {
		return 0
	}
	t := o.Get("ttl")
	if t == nil || goja.IsUndefined(t) || goja.IsNull(t) {
		return 0
	}
	secs := t.ToFloat()
	if secs != secs || secs <= 0 {
		panic(r.newError("TypeError", "kv: ttl is a number of seconds, at least 1"))
	}
	return time.Duration(secs * float64(time.Second))
}
