package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// Chains in one trip. A routing chain runs three scripts or so, each on
// what the one before returned; one frame per step costs a round trip
// through the pipes per step (two writes, two reads, four goroutine
// wake-ups), more than a trivial script's own run. So the gateway sends
// the whole chain in one frame, the sandbox runs the steps back to back,
// each in a warm runtime of its own version, hands each result to the
// next step through the handoff named in the frame (ChildOptions.Handoffs),
// and answers once with every step's outcome.
//
// A chain frame carries the call's context once (request, claims, voice
// call, deadline), then per step its version, code and export as a run
// frame does. A step the sandbox cannot run (its version record or its
// code evicted) ends the answer with a need and the data the step was to
// get: the gateway sends the rest of the chain again from there, with
// what was missing.

// Frame kinds of chains.
const (
	kindChain     byte = 4  // gateway to sandbox: a chain of runs
	kindChainDone byte = 20 // sandbox to gateway: its steps' outcomes
)

// chainRequest is a decoded chain frame.
type chainRequest struct {
	Handoff string
	Slot    uint32 // its slot on the board (see board.go), 0 for none
	// Steps are the steps the sandbox can run: all of them, or those
	// before the first whose version record it does not hold.
	Steps []*functions.Invocation
	// Need is what that step lacks (withVersion), 0 if none does.
	Need byte
	// Data is the chain's input, the first step's data.
	Data json.RawMessage
}

// chainStep is one step's outcome: a result, an error, both (the handoff
// refused the result), or a need.
type chainStep struct {
	Started  time.Time
	Duration time.Duration
	Result   *functions.Result
	Err      *functions.RunError
	Need     byte            // withCode and/or withVersion: the step did not run
	Data     json.RawMessage // with Need: the data the step was to get
}

// Tags of a chainStep in a frame.
const (
	stepResult byte = 1
	stepError  byte = 2
	stepNeed   byte = 4
)

// appendChain encodes a chain. steps[0] carries the chain's data and the
// context every step shares; vers and flags are each step's version
// record id and what travels with it (withCode, withVersion).
func appendChain(b []byte, id uint64, handoff string, slot uint32, steps []*functions.Invocation, vers []uint64, flags []byte) ([]byte, error) {
	e := enc{b}
	first := steps[0]
	e.byte(kindChain | liveKind(anyLive(steps)))
	e.uvarint(id)
	e.str(handoff)
	e.uvarint(uint64(slot))
	e.uvarint(uint64(len(steps)))
	cf := contextFlags(first)
	e.byte(cf)
	e.str(first.RequestID)
	e.bytes(first.Data)
	if err := e.context(first, cf); err != nil {
		return b, err
	}
	for i, inv := range steps {
		f := flags[i]
		if inv.FreshRuntime {
			f |= freshRuntime
		}
		e.byte(f)
		e.uvarint(vers[i])
		if f&withVersion != 0 {
			e.version(inv)
		}
		if f&withCode != 0 {
			e.str(inv.Code)
		}
		e.str(inv.Export)
	}
	return e.b, nil
}

// anyLive: some step listens to its lines as they are printed, so the
// chain's frame asks for them (the gateway drops those of other steps).
func anyLive(steps []*functions.Invocation) bool {
	for _, inv := range steps {
		if inv.OnLog != nil {
			return true
		}
	}
	return false
}

// chain reads a chain frame after its id. Records that travel in it are
// stored in versions even past a step that needs one.
func (d *dec) chain(versions *versionTable) *chainRequest {
	c := &chainRequest{Handoff: d.str()}
	if slot := d.uvarint(); slot < boardSlots {
		c.Slot = uint32(slot)
	} else {
		d.fail()
	}
	n := d.uvarint()
	if n == 0 || n > uint64(len(d.b)) { // every step takes bytes
		d.fail()
		return nil
	}
	cf := d.byte()
	if cf&^(withBody|withCall|withDeadline|withTrace) != 0 {
		d.fail()
	}
	first := &functions.Invocation{RequestID: d.str()}
	c.Data = d.bytes()
	d.context(first, cf)
	c.Steps = make([]*functions.Invocation, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		f := d.byte()
		if f&^(withCode|withVersion|freshRuntime) != 0 {
			d.fail()
		}
		ver := d.uvarint()
		var rec *versionRecord
		if f&withVersion != 0 {
			if rec = d.version(); d.err == nil {
				versions.put(ver, rec)
			}
		} else if rec = versions.get(ver); rec == nil && c.Need == 0 {
			c.Need = withVersion
		}
		inv := first
		if i > 0 {
			inv = &functions.Invocation{}
			functions.ShareContext(inv, first)
		}
		inv.FreshRuntime = f&freshRuntime != 0
		if f&withCode != 0 {
			inv.Code = d.str()
		}
		inv.Export = d.str()
		if rec != nil && c.Need == 0 && d.err == nil {
			rec.apply(inv)
			c.Steps = append(c.Steps, inv)
		}
	}
	if d.err != nil {
		return nil
	}
	if len(c.Steps) > 0 {
		c.Steps[0].Data = c.Data
	}
	return c
}

func (e *enc) chainSteps(steps []chainStep) {
	e.uvarint(uint64(len(steps)))
	for i := range steps {
		s := &steps[i]
		e.time(s.Started)
		e.varint(int64(s.Duration))
		var tag byte
		switch {
		case s.Need != 0:
			tag = stepNeed
		case s.Result != nil && s.Err != nil:
			tag = stepResult | stepError
		case s.Err != nil:
			tag = stepError
		default:
			tag = stepResult
		}
		e.byte(tag)
		if tag == stepNeed {
			e.byte(s.Need)
			e.bytes(s.Data)
			continue
		}
		if tag&stepResult != 0 {
			res := s.Result
			if res == nil {
				res = &functions.Result{}
			}
			e.result(res)
		}
		if tag&stepError != 0 {
			e.runError(s.Err)
		}
	}
}

func (d *dec) chainSteps() []chainStep {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	steps := make([]chainStep, n)
	for i := range steps {
		s := &steps[i]
		s.Started = d.time()
		s.Duration = time.Duration(d.varint())
		switch tag := d.byte(); tag {
		case stepNeed:
			if s.Need = d.byte(); s.Need == 0 || s.Need&^(withCode|withVersion) != 0 {
				d.fail()
			}
			s.Data = d.bytes()
		case stepResult, stepError, stepResult | stepError:
			if tag&stepResult != 0 {
				s.Result = d.result()
			}
			if tag&stepError != 0 {
				s.Err = d.runError()
			}
		default:
			d.fail()
		}
		if d.err != nil {
			return nil
		}
	}
	return steps
}

// runChain runs a chain in the sandbox: RunSteps on its engine, stopped
// by the deadline the steps share (as well as by a cancel frame).
func runChain(ctx context.Context, eng functions.Executor, handoffs map[string]functions.Handoff, b *childBoard, id uint64, c *chainRequest) response {
	resp := response{ID: id, Chain: make([]chainStep, 0, len(c.Steps)+1)}
	h, ok := handoffs[c.Handoff]
	if !ok {
		resp.Chain = append(resp.Chain, chainStep{Started: time.Now(), Err: &functions.RunError{Status: http.StatusInternalServerError,
			Code: "sandbox_error", Message: fmt.Sprintf("this sandbox has no chain handoff %q", c.Handoff)}})
		return resp
	}
	var runs []functions.StepRun
	if len(c.Steps) > 0 {
		if dl := c.Steps[0].Deadline; !dl.IsZero() {
			var cancel context.CancelFunc
			ctx, cancel = context.WithDeadline(ctx, dl)
			defer cancel()
		}
		// The steps run back to back on this goroutine: each step's last
		// reading of its thread's CPU clock starts the next one's.
		var mark engine.CPUMark
		runs = functions.RunSteps(engine.WithCPUMark(ctx, &mark), eng, h, c.Steps, func(i int) { b.set(c.Slot, i) })
		mark.Release()
	}
	for i, run := range runs {
		s := chainStep{Started: run.Started, Duration: run.Duration, Result: run.Result}
		var re *functions.RunError
		switch {
		case run.Err == nil:
		case errors.Is(run.Err, engine.ErrNoCode):
			s.Result, s.Need, s.Data = nil, withCode, c.Steps[i].Data
		case errors.As(run.Err, &re):
			s.Err = re
		default:
			s.Err = &functions.RunError{Status: http.StatusInternalServerError, Code: "sandbox_error", Message: run.Err.Error()}
		}
		resp.Chain = append(resp.Chain, s)
	}
	// Every step it could run ran well: ask for the missing record, with
	// the data its step is to get (the handoff again: a rare path).
	if c.Need != 0 && len(runs) == len(c.Steps) && (len(runs) == 0 || runs[len(runs)-1].Err == nil) {
		data := c.Data
		if len(runs) > 0 {
			last := len(runs) - 1
			data, _ = h.Next(runs[last].Result, c.Steps[last].Data)
		}
		resp.Chain = append(resp.Chain, chainStep{Started: time.Now(), Need: c.Need, Data: data})
	}
	return resp
}
