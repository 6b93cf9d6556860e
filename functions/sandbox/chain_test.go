package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// chainOf returns n steps of random invocations that share the first's
// context, as a chain's do.
func chainOf(r *rand.Rand, n int) []*functions.Invocation {
	steps := make([]*functions.Invocation, n)
	for i := range steps {
		var inv functions.Invocation
		fill(reflect.ValueOf(&inv).Elem(), r)
		inv.Prepare = false // not in a chain
		inv.Trigger = ""    // a chain is a routing call: its frame carries no trigger
		if i > 0 {
			functions.ShareContext(&inv, steps[0])
			inv.Data = nil
		}
		steps[i] = &inv
	}
	return steps
}

// A chain frame carries every field a step needs, with or without its
// record and code; the steps come back sharing the first's context.
func TestChainCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	for i := 0; i < 100; i++ {
		steps := chainOf(r, 1+r.Intn(4))
		vers, flags := make([]uint64, len(steps)), make([]byte, len(steps))
		for j := range steps {
			vers[j], flags[j] = uint64(10+j), withCode|withVersion
		}
		versions := newVersionTable()
		frame, err := appendChain(nil, 5, "routing", 9, steps, vers, flags)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRequest(frame, versions)
		if err != nil || got.ID != 5 || got.Chain == nil || got.Chain.Handoff != "routing" || got.Chain.Slot != 9 || got.Chain.Need != 0 {
			t.Fatalf("chain: %v %+v", err, got)
		}
		if !reflect.DeepEqual(got.Chain.Steps, steps) {
			t.Fatalf("steps:\n got %+v\nwant %+v", got.Chain.Steps, steps)
		}
		// By reference: the same steps without records and code.
		for j := range steps {
			flags[j], steps[j].Code = 0, ""
		}
		if got, err = decodeRequest(must(appendChain(nil, 6, "routing", 0, steps, vers, flags)), versions); err != nil || !reflect.DeepEqual(got.Chain.Steps, steps) {
			t.Fatalf("by reference: %v\n got %+v\nwant %+v", err, got.Chain.Steps, steps)
		}
	}
	// A step whose record the sandbox lacks ends the runnable steps there.
	steps := chainOf(r, 3)
	versions := newVersionTable()
	got, err := decodeRequest(must(appendChain(nil, 7, "x", 1, steps, []uint64{1, 2, 3}, []byte{withVersion, 0, withVersion})), versions)
	if err != nil || len(got.Chain.Steps) != 1 || got.Chain.Need != withVersion || versions.get(3) == nil {
		t.Fatalf("missing record: %v %+v", err, got.Chain)
	}
}

// A chain's answer carries each step's outcome: result, error, both, or need.
func TestChainAnswerRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 100; i++ {
		var res functions.Result
		var re functions.RunError
		fill(reflect.ValueOf(&res).Elem(), r)
		fill(reflect.ValueOf(&re).Elem(), r)
		at := time.Unix(1_800_000_000, int64(i)).UTC()
		want := response{ID: 9, Chain: []chainStep{
			{Started: at, Duration: 3, Result: &res},
			{Started: at, Duration: 4, Result: &res, Err: &re},
			{Started: at, Duration: 5, Err: &re},
			{Started: at, Need: withCode | withVersion, Data: json.RawMessage(`{"a":1}`)},
		}}
		got, err := decodeResponse(appendResponse(nil, &want))
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%v\n got %+v\nwant %+v", err, got, want)
		}
	}
	if got, err := decodeResponse(appendResponse(nil, &response{ID: 1, Chain: []chainStep{}})); err != nil || got.Chain == nil || len(got.Chain) != 0 {
		t.Fatalf("no step: %v %+v", err, got)
	}
}

func TestChainCodecRefusesMalformedFrames(t *testing.T) {
	steps := chainOf(rand.New(rand.NewSource(4)), 2)
	chain := must(appendChain(nil, 1, "h", 2, steps, []uint64{1, 2}, []byte{withVersion | withCode, withVersion}))
	done := appendResponse(nil, &response{ID: 2, Chain: []chainStep{{Result: typicalResult()}}})
	for _, c := range []struct {
		name  string
		frame []byte
		req   bool
	}{
		{"chain cut short", chain[:len(chain)-1], true},
		{"chain padded", append(append([]byte(nil), chain...), 0), true},
		{"chain of no step", []byte{kindChain, 1, 0, 0}, true},
		{"chain context flags unknown", []byte{kindChain, 1, 0, 1, 0x81}, true},
		{"answer cut short", done[:len(done)-1], false},
		{"answer padded", append(append([]byte(nil), done...), 0), false},
		{"answer tag unknown", []byte{kindChainDone, 1, 1, 0, 0, 0, 9}, false},
		{"answer need without flags", []byte{kindChainDone, 1, 1, 0, 0, 0, stepNeed, 0, 0}, false},
	} {
		var err error
		if c.req {
			_, err = decodeRequest(c.frame, newVersionTable())
		} else {
			_, err = decodeResponse(c.frame)
		}
		if !errors.Is(err, errMalformed) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// upper hands on the data with a mark; a step's "stop" ends the chain.
var testHandoff = functions.Handoff{Name: "test", Next: func(res *functions.Result, prev json.RawMessage) (json.RawMessage, *functions.RunError) {
	if strings.Contains(string(res.JSON), "stop") {
		return nil, &functions.RunError{Code: "refused", Message: "stop"}
	}
	return functions.NextData(res, prev)
}}

// A chain runs in a real sandbox in one frame: each step gets what the
// one before returned, a refused result or a thrown error ends it, the
// deadline stops it, and code evicted between calls is sent again.
func TestPoolChain(t *testing.T) {
	p := newPool(t, 1, 256)
	step := func(tenant, src string) *functions.Invocation {
		return invocation(t, tenant, src, 64, time.Second)
	}
	add := `exports.main = (d) => ({n: d.n + 1, seen: (d.seen || 0) + 1})`
	chain := func(deadline time.Time, srcs ...string) []functions.StepRun {
		var steps []*functions.Invocation
		for i, src := range srcs {
			inv := step("acme", src)
			inv.Function.ID = "fn_" + string(rune('a'+i))
			inv.Deadline = deadline
			steps = append(steps, inv)
		}
		return p.ExecuteChain(context.Background(), testHandoff, steps)
	}
	for round := 0; round < 2; round++ { // the second sends no code
		runs := chain(time.Time{}, add, `exports.main = () => null`, add)
		if len(runs) != 3 || runs[2].Err != nil || string(runs[2].Result.JSON) != `{"n":4,"seen":2}` {
			t.Fatalf("round %d: %+v", round, runs)
		}
		for _, r := range runs {
			if r.Started.IsZero() || r.Result.CPU <= 0 {
				t.Fatalf("round %d: step without its time: %+v", round, r)
			}
		}
	}
	runs := chain(time.Time{}, add, `exports.main = () => ({stop: true})`, add)
	if len(runs) != 2 || runs[1].Result == nil || runs[1].Err == nil {
		t.Fatalf("refused: %+v", runs)
	}
	runs = chain(time.Time{}, add, `exports.main = () => { throw new Error("486 Busy Here") }`, add)
	var re *functions.RunError
	if len(runs) != 2 || !errors.As(runs[1].Err, &re) || re.SIPCode != 486 {
		t.Fatalf("thrown: %+v", runs)
	}
	// The chain's deadline (100 ms) stops the spinner long before its own
	// time limit would: 10 s, so that a slow machine cannot blur the two.
	steps := []*functions.Invocation{step("acme", add), step("acme", `exports.main = () => { for (;;) {} }`), step("acme", add)}
	start := time.Now()
	for i, inv := range steps {
		inv.Function.ID = "fn_" + string(rune('a'+i))
		inv.Timeout, inv.Deadline = 10*time.Second, start.Add(100*time.Millisecond)
	}
	runs = p.ExecuteChain(context.Background(), testHandoff, steps)
	if len(runs) != 2 || runs[1].Err == nil || time.Since(start) > 3*time.Second {
		t.Fatalf("deadline: %v %+v", time.Since(start), runs)
	}
	// An unknown handoff is an error of the chain, not a crash.
	runs = p.ExecuteChain(context.Background(), functions.Handoff{Name: "nope"}, []*functions.Invocation{step("acme", add)})
	if len(runs) != 1 || runs[0].Err == nil || !strings.Contains(runs[0].Err.Error(), "nope") {
		t.Fatalf("unknown handoff: %+v", runs)
	}
}

// A chain's death or overstay is put down to the step that was running
// (the board), not to the chain's first function: the culprit goes to
// quarantine, the steps before it passed, the ones after never ran.
func TestChainCulpritIsTheRunningStep(t *testing.T) {
	step := func(id, src string, memoryMB int, timeout time.Duration) *functions.Invocation {
		inv := invocation(t, "acme", src, memoryMB, timeout)
		inv.Function.ID = id
		return inv
	}
	chain := func(p *Pool, steps ...*functions.Invocation) []functions.StepRun {
		steps[0].Data = json.RawMessage(`{"n":1}`)
		return p.ExecuteChain(context.Background(), functions.PassData, steps)
	}
	add := `exports.main = (d) => ({n: d.n + 1})`
	t.Run("memory", func(t *testing.T) {
		p := newPoolWith(t, 128, func(c *Config) { c.QuarantineSandboxes = -1 })
		for i := 1; i <= 2; i++ {
			runs := chain(p, step("fn_a", add, 64, 5*time.Second), step("fn_evil", `exports.main = () => "x".repeat(450e6).length`, 1024, 5*time.Second),
				step("fn_z", add, 64, 5*time.Second))
			if len(runs) != 2 || runs[0].Err != nil || runCode(runs[1].Err) != functions.CodeMemoryLimit {
				t.Fatalf("bomb %d: %+v", i, runs)
			}
		}
		if _, in := p.Quarantined("fn_evil"); !in {
			t.Fatal("the bomb is not quarantined")
		}
		if _, in := p.Quarantined("fn_a"); in {
			t.Fatal("the chain's first function was blamed")
		}
	})
	t.Run("overstay", func(t *testing.T) {
		p := newPoolWith(t, 256, func(c *Config) { c.QuarantineSandboxes = -1 })
		// The first step has time to spare (a slow machine, -race): the
		// watchdog must find the second one running.
		for i := 1; i <= 2; i++ {
			runs := chain(p, step("fn_a", add, 64, time.Second),
				step("fn_slow", `exports.main = () => /^(?=(a+)+b)/.test("a".repeat(40) + "!")`, 64, 100*time.Millisecond))
			// Killed at its own limit and grace (400 ms), not the chain's
			// (1.4 s: by then the match would have timed out by itself,
			// and the sandbox would live).
			if len(runs) != 2 || runs[0].Err != nil || runCode(runs[1].Err) != functions.CodeTimeout || !strings.Contains(runs[1].Err.Error(), "its sandbox was killed") {
				t.Fatalf("overstay %d: %+v", i, runs)
			}
		}
		if q, in := p.Quarantined("fn_slow"); !in || !strings.Contains(q.Reason, "overstayed") {
			t.Fatalf("the overstaying step: %+v %v", q, in)
		}
		if _, in := p.Quarantined("fn_a"); in {
			t.Fatal("the chain's first function was blamed")
		}
	})
}

// A sandbox that lacks a step's code or record (evicted, or a gateway
// that believes otherwise) answers with a need where it stopped, and the
// gateway sends the rest of the chain again from there with what lacks:
// every step runs once, on the right data.
func TestChainSendsWhatTheSandboxLacks(t *testing.T) {
	p := newPool(t, 1, 256)
	var steps []*functions.Invocation
	for i := range 3 {
		inv := invocation(t, "acme", fmt.Sprintf(`exports.main = (d) => ({n: d.n * 10 + %d}) // %d`, i+1, i), 64, time.Second)
		inv.Function.ID = fmt.Sprint("fn_", i)
		steps = append(steps, inv)
	}
	steps[0].Data = json.RawMessage(`{"n":0}`)
	proc := p.slots[0].current()
	proc.hasCode.Add(steps[1].Hash, struct{}{}) // it has not
	v := &sentVersion{id: 999, rec: recordOf(steps[2])}
	v.confirmed.Store(true) // it has not
	proc.versions.Add(keyOf(steps[2]), v)

	before := p.nextID.Load()
	runs := p.ExecuteChain(context.Background(), functions.PassData, steps)
	if len(runs) != 3 || runs[2].Err != nil || string(runs[2].Result.JSON) != `{"n":123}` {
		t.Fatalf("%+v", runs)
	}
	// One frame, then one from the step without code, then one from the
	// step without its record.
	if frames := p.nextID.Load() - before; frames != 3 {
		t.Fatalf("%d frames, want 3", frames)
	}
	for i, r := range runs {
		if r.Err != nil || r.Result == nil || r.Result.CPU <= 0 {
			t.Fatalf("step %d: %+v", i, r)
		}
	}
}
