package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// TestOnLog: each kept console line reaches Invocation.OnLog as it is
// printed (before the run returns), in order, with its level; lines past
// the per-run limit do not, and a later call of the warm runtime without
// a listener sends nothing to the earlier one.
func TestOnLog(t *testing.T) {
	e := New(Config{MaxLogLines: 3})
	tr, err := Transpile("live.js", `function main(d) {
		console.log("one", d.n); console.warn("two"); console.error("three"); console.log("four"); console.log("five");
		const until = Date.now() + d.busy; while (Date.now() < until) {}
		return d.n }`)
	if err != nil {
		t.Fatal(err)
	}
	type seen struct {
		line functions.LogLine
		at   time.Time
	}
	var mu sync.Mutex
	var got []seen
	inv := func(n, busy int, on func(functions.LogLine)) *functions.Invocation {
		return &functions.Invocation{RequestID: "r", Function: functions.FunctionInfo{ID: "fn_live", Name: "live", Tenant: "t", Version: 1},
			Type: functions.TypeScript, Code: tr.Code, Hash: tr.Hash, Timeout: 5 * time.Second, MemoryMB: 64,
			Data: json.RawMessage(fmt.Sprintf(`{"n":%d,"busy":%d}`, n, busy)), OnLog: on}
	}
	res, err := e.Execute(context.Background(), inv(1, 200, func(l functions.LogLine) {
		mu.Lock()
		got = append(got, seen{l, time.Now()})
		mu.Unlock()
	}))
	if err != nil {
		t.Fatal(err)
	}
	ended := time.Now()
	mu.Lock()
	defer mu.Unlock()
	wantLevels := []string{"info", "warn", "error", "warn"} // the fourth is the truncation notice
	if len(got) != len(wantLevels) || len(res.Logs) != len(got) {
		t.Fatalf("live lines %v, kept %v", got, res.Logs)
	}
	for i, s := range got {
		if s.line != res.Logs[i] || s.line.Level != wantLevels[i] {
			t.Errorf("line %d: live %+v, kept %+v, want level %s", i, s.line, res.Logs[i], wantLevels[i])
		}
	}
	if got[0].line.Message != "one 1" || !strings.Contains(got[3].line.Message, "truncated") {
		t.Errorf("messages %q … %q", got[0].line.Message, got[3].line.Message)
	}
	if ended.Sub(got[0].at) < 150*time.Millisecond {
		t.Errorf("the first line came %v before the run ended; want it as printed, ~200ms before", ended.Sub(got[0].at))
	}
	n := len(got)
	mu.Unlock()
	if _, err := e.Execute(context.Background(), inv(2, 0, nil)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != n {
		t.Errorf("a call without a listener reached the earlier one: %v", got[n:])
	}
}
