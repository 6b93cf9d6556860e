package engine

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// ctx.deadline is the time left, read anew at each look, and exists only
// for a call that has a deadline.
func TestCtxDeadline(t *testing.T) {
	e := New(Config{Host: "test-host"})
	tr, err := Transpile("deadline.js", `function main(d, ctx) {
		const first = ctx.deadline, t0 = Date.now();
		while (Date.now() - t0 < 30) {}
		return {first, later: ctx.deadline, has: "deadline" in ctx, listed: Object.keys(ctx).includes("deadline")}
	}`)
	if err != nil {
		t.Fatal(err)
	}
	run := func(deadline time.Time) map[string]any {
		t.Helper()
		inv := &functions.Invocation{RequestID: "r", Function: functions.FunctionInfo{ID: "fn_d", Name: "d", Tenant: "default", Version: 1},
			Type: functions.TypeScript, Code: tr.Code, Hash: tr.Hash, Timeout: time.Second, MemoryMB: 64, Data: json.RawMessage(`{}`),
			Deadline: deadline}
		res, err := e.Execute(context.Background(), inv)
		if err != nil {
			t.Fatal(err)
		}
		var out map[string]any
		if err := json.Unmarshal(res.JSON, &out); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := run(time.Now().Add(500 * time.Millisecond))
	first, _ := got["first"].(float64)
	later, _ := got["later"].(float64)
	if first < 400 || first > 500 || later > first-25 || got["has"] != true || got["listed"] != true {
		t.Fatalf("with a deadline: %v", got)
	}
	if got := run(time.Time{}); got["first"] != nil || got["has"] != false || got["listed"] != false {
		t.Fatalf("without a deadline: %v", got)
	}
}
