package workers

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
)

// countingRunner is a Runner whose "state" is a call counter, as a
// Worker's module state would be.
type countingRunner struct {
	calls    int
	closed   atomic.Bool
	restarts uint64
}

func (r *countingRunner) Execute(context.Context, *functions.Invocation) (*functions.Result, error) {
	r.calls++
	return &functions.Result{JSON: []byte(fmt.Sprint(r.calls))}, nil
}
func (r *countingRunner) Restarts() uint64 { return r.restarts }
func (r *countingRunner) Close()           { r.closed.Store(true) }

func TestManager(t *testing.T) {
	var spawned []*countingRunner
	m := New(func(*functions.Invocation) (Runner, error) {
		r := &countingRunner{restarts: 2}
		spawned = append(spawned, r)
		return r, nil
	})
	call := func(hash string) string {
		t.Helper()
		res, err := m.Execute(context.Background(), &functions.Invocation{Function: functions.FunctionInfo{ID: "fn_w"}, Hash: hash, Type: functions.TypeWorker})
		if err != nil {
			t.Fatal(err)
		}
		return string(res.JSON)
	}
	steps := []struct {
		do      func()
		hash    string
		want    string
		spawned int
	}{
		{nil, "v1", "1", 1},
		{nil, "v1", "2", 1},                    // same runner: state kept
		{nil, "v2", "1", 2},                    // a new version starts afresh
		{func() { m.Stop("fn_w") }, "", "", 2}, // stopped: checked below
		{func() { m.Start("fn_w") }, "v2", "1", 3},
	}
	for i, s := range steps {
		if s.do != nil {
			s.do()
		}
		if s.hash != "" {
			if got := call(s.hash); got != s.want {
				t.Fatalf("step %d: got %s, want %s", i, got, s.want)
			}
		}
		if len(spawned) != s.spawned {
			t.Fatalf("step %d: %d runners spawned, want %d", i, len(spawned), s.spawned)
		}
	}
	if !spawned[0].closed.Load() || !spawned[1].closed.Load() || spawned[2].closed.Load() {
		t.Fatal("replaced runners must be closed, the live one not")
	}
	// Restarts add up across runners: 2 for each of the three.
	if st := m.Status("fn_w"); st.State != "running" || st.Restarts != 6 || st.Version != "v2" {
		t.Fatalf("status %+v", st)
	}
	m.Stop("fn_w")
	_, err := m.Execute(context.Background(), &functions.Invocation{Function: functions.FunctionInfo{ID: "fn_w"}, Hash: "v2"})
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != CodeStopped || re.Status != 503 {
		t.Fatalf("stopped worker: %v", err)
	}
	if st := m.Status("fn_w"); st.State != "stopped" {
		t.Fatalf("status %+v", st)
	}
	m.Forget("fn_w")
	if st := m.Status("fn_x"); st.State != "idle" {
		t.Fatalf("unknown worker: %+v", st)
	}
}
