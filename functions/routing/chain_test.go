package routing

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// fakeExec runs Go functions named by the invocation's function name:
// the chain's logic is tested here without a JavaScript engine.
type fakeExec map[string]func(ctx context.Context, inv *functions.Invocation) (*functions.Result, error)

func (f fakeExec) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	return f[inv.Function.Name](ctx, inv)
}

func fn(name string) functions.Deployed {
	return functions.Deployed{Function: functions.Function{ID: "fn_" + name, Name: name}, Version: functions.Version{TimeoutMS: 5000}}
}

func invocation(d functions.Deployed) *functions.Invocation {
	return &functions.Invocation{Function: functions.FunctionInfo{ID: d.ID, Name: d.Name}, Timeout: time.Duration(d.Version.TimeoutMS) * time.Millisecond}
}

// appendStep returns the data with its name appended to routing.seen.
func appendStep(name string) func(context.Context, *functions.Invocation) (*functions.Result, error) {
	return func(_ context.Context, inv *functions.Invocation) (*functions.Result, error) {
		var d map[string]any
		_ = json.Unmarshal(inv.Data, &d)
		r, _ := d["routing"].(map[string]any)
		r["seen"] = append(r["seen"].([]any), name)
		b, _ := json.Marshal(d)
		return &functions.Result{JSON: b}, nil
	}
}

func sleepUntilCancelled(ctx context.Context, _ *functions.Invocation) (*functions.Result, error) {
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
	return nil, &functions.RunError{Code: functions.CodeTimeout, Message: "cancelled"}
}

func TestChain(t *testing.T) {
	exec := fakeExec{
		"a": appendStep("a"), "b": appendStep("b"), "assigned": appendStep("assigned"), "z": appendStep("z"),
		"slow": sleepUntilCancelled,
		// Ignores the cancel and finishes late: the chain must not wait for it.
		"stubborn": func(context.Context, *functions.Invocation) (*functions.Result, error) {
			time.Sleep(300 * time.Millisecond)
			return &functions.Result{JSON: json.RawMessage(`{}`)}, nil
		},
		"busy": func(context.Context, *functions.Invocation) (*functions.Result, error) {
			return nil, functions.SIPError(486, "Busy Here")
		},
		"broken": func(context.Context, *functions.Invocation) (*functions.Result, error) {
			return nil, &functions.RunError{Status: 500, Code: functions.CodeFunctionError, Message: "TypeError: x is undefined"}
		},
		"observer": func(context.Context, *functions.Invocation) (*functions.Result, error) {
			return &functions.Result{JSON: json.RawMessage(`null`)}, nil
		},
		"response": func(context.Context, *functions.Invocation) (*functions.Result, error) {
			return &functions.Result{Response: &functions.HTTPResponse{Status: 200}}, nil
		},
		"badheader": func(context.Context, *functions.Invocation) (*functions.Result, error) {
			return &functions.Result{JSON: json.RawMessage(`{"egress_routing":[{},{"headers":[{"key":"X-Ok","value":1},{"key":"Bad Name","value":"v"}]}]}`)}, nil
		},
		"deadline": func(_ context.Context, inv *functions.Invocation) (*functions.Result, error) {
			b, _ := json.Marshal(map[string]any{"left_ms": time.Until(inv.Deadline).Milliseconds(), "timeout_ms": inv.Timeout.Milliseconds()})
			return &functions.Result{JSON: b}, nil
		},
	}
	c := &Chain{Exec: exec}
	action := TimeoutAction{Code: 480, Reason: "Temporarily Unavailable"}
	run := func(budget time.Duration, names ...string) (Outcome, time.Duration) {
		var steps []Step
		for _, n := range names {
			steps = append(steps, Step{Function: fn(n), Place: PlaceAssigned})
		}
		start := time.Now()
		out := c.Run(context.Background(), Request{Steps: steps, Data: json.RawMessage(`{"routing":{"seen":[]}}`),
			Deadline: start.Add(budget), Action: action, Invocation: invocation})
		return out, time.Since(start)
	}

	out, _ := run(time.Second, "a", "b", "assigned", "observer", "z")
	if string(out.Data) != `{"routing":{"seen":["a","b","assigned","z"]}}` || out.Status != nil || len(out.Steps) != 5 {
		t.Fatalf("chain: %s %+v", out.Data, out.Status)
	}

	for _, stuck := range []string{"slow", "stubborn"} {
		out, took := run(50*time.Millisecond, "a", stuck, "z")
		if out.Status == nil || *out.Status != (Status{480, "Temporarily Unavailable"}) || out.Data != nil {
			t.Fatalf("%s: %+v", stuck, out)
		}
		// The action comes at the deadline, not when the step ends (5 s or
		// 300 ms later): within 20 ms of it, or 60 ms under the race
		// detector, which slows every goroutine switch on the way.
		slack := 20 * time.Millisecond
		if raceBuild {
			slack = 60 * time.Millisecond
		}
		if took < 50*time.Millisecond || took > 50*time.Millisecond+slack {
			t.Fatalf("%s: the timeout action came after %v, for a 50 ms deadline", stuck, took)
		}
		if out.Late == nil {
			t.Fatalf("%s: no late steps", stuck)
		}
		steps := <-out.Late
		if last := steps[len(steps)-1]; !last.TimedOut || last.Step.Function.Name != stuck || last.Err == nil {
			t.Fatalf("%s: step record %+v", stuck, last)
		}
	}

	out, _ = run(time.Second, "a", "busy", "z")
	if out.Status == nil || *out.Status != (Status{486, "Busy Here"}) || len(out.Steps) != 2 {
		t.Fatalf("SIP error: %+v", out)
	}
	for _, name := range []string{"broken", "response"} {
		out, _ = run(time.Second, name)
		if out.Status == nil || out.Status.Code != 500 || out.Steps[0].Err == nil {
			t.Fatalf("%s: %+v", name, out)
		}
	}
	out, _ = run(time.Second, "a", "badheader", "z")
	if out.Invalid == nil || out.Invalid.Path != "egress_routing[1].headers[1].key" || len(out.Steps) != 2 {
		t.Fatalf("bad header: %+v", out)
	}
	// A step sees the chain's deadline and keeps its own timeout.
	out, _ = run(200*time.Millisecond, "deadline")
	var seen struct {
		LeftMS    int64 `json:"left_ms"`
		TimeoutMS int64 `json:"timeout_ms"`
	}
	_ = json.Unmarshal(out.Data, &seen)
	if seen.LeftMS > 200 || seen.LeftMS < 150 || seen.TimeoutMS != 5000 {
		t.Fatalf("the step saw %s", out.Data)
	}
	// A deadline already past answers at once, running nothing.
	out, _ = run(-time.Millisecond, "a")
	if out.Status == nil || out.Status.Code != 480 || len(out.Steps) != 0 {
		t.Fatalf("past deadline: %+v", out)
	}
	// The caller hanging up is not a routing decision.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	out = c.Run(ctx, Request{Steps: []Step{{Function: fn("slow")}}, Data: json.RawMessage(`{}`), Deadline: time.Now().Add(time.Second), Action: action, Invocation: invocation})
	if out.Status == nil || out.Status.Code != 500 || out.Late == nil {
		t.Fatalf("caller gone: %+v", out)
	}
	if steps := <-out.Late; len(steps) != 1 || steps[0].Err == nil || steps[0].TimedOut {
		t.Fatalf("caller gone, the step: %+v", steps)
	}
}

func TestSteps(t *testing.T) {
	got := Steps([]functions.Deployed{fn("a"), fn("x")}, fn("x"), []functions.Deployed{fn("z")})
	var names []string
	for _, s := range got {
		names = append(names, s.Function.Name+":"+s.Place)
	}
	if strings.Join(names, " ") != "a:run-first x:assigned z:run-last" {
		t.Fatalf("steps: %v", names)
	}
}

// A run that ends well before the deadline is never taken for an overrun
// one (the run's end once closed the context the chain watches; under
// -race this test caught it).
func TestChainFinishedIsNotTimedOut(t *testing.T) {
	c := &Chain{Exec: fakeExec{"quick": func(context.Context, *functions.Invocation) (*functions.Result, error) {
		return &functions.Result{JSON: json.RawMessage(`{}`)}, nil
	}}}
	for i := range 3000 {
		out := c.Run(context.Background(), Request{Steps: []Step{{Function: fn("quick")}}, Data: json.RawMessage(`{}`),
			Deadline: time.Now().Add(10 * time.Second), Action: TimeoutAction{480, "Temporarily Unavailable"}, Invocation: invocation})
		if out.Status != nil {
			t.Fatalf("call %d: %+v", i, out.Status)
		}
	}
}
