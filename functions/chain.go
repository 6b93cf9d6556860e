package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Chains: invocations run one after another, each on the data the one
// before returned (a Class 4 routing chain). An executor that runs
// functions in another process does better than one Execute per step:
// it sends the whole chain at once, and the steps run back to back on
// the far side (one trip to a sandbox instead of one per step).

// Handoff decides what a chain step hands on: the next step's data, made
// from the step's result and the data the step received, or a *RunError
// that ends the chain at this step. Name identifies the function across
// a process boundary: an executor that runs chains in another process
// sends the name, and the other side applies the function it holds under
// that name (the same binary, so the same function).
type Handoff struct {
	Name string
	Next func(res *Result, prev json.RawMessage) (json.RawMessage, *RunError)
}

// StepRun is one step of a chain as it ran.
type StepRun struct {
	Started  time.Time
	Duration time.Duration
	// Result is the step's result; nil when it failed. It is set along
	// with Err when the step ran but the handoff refused its result.
	Result *Result
	Err    error // why the chain stopped at this step, if it did
}

// ChainExecutor is an Executor that runs chains.
type ChainExecutor interface {
	Executor
	// ExecuteChain runs steps in order: the first on its own Data, each
	// next one on what h makes of the previous step's result (the steps'
	// own Data is ignored). Steps share the first one's RequestID,
	// Request, Auth, Call and Deadline. It stops at the first step that
	// fails or whose result h refuses, and when ctx ends (the step then
	// running is interrupted); it returns the steps that ran, in order,
	// the last with the error that stopped the chain, if any.
	ExecuteChain(ctx context.Context, h Handoff, steps []*Invocation) []StepRun
}

// Sequential makes a chain executor of any executor: one Execute per step.
type Sequential struct{ Executor }

var _ ChainExecutor = Sequential{}

func (s Sequential) ExecuteChain(ctx context.Context, h Handoff, steps []*Invocation) []StepRun {
	return RunSteps(ctx, s.Executor, h, steps, nil)
}

// ChainOf returns exec as a ChainExecutor: itself when it is one, else
// Sequential.
func ChainOf(exec Executor) ChainExecutor {
	if ce, ok := exec.(ChainExecutor); ok {
		return ce
	}
	return Sequential{exec}
}

// RunSteps runs a chain with one Execute per step, as ExecuteChain says.
// started, if set, is told the index of each step before it runs. The
// invocations after the first get their Data set; the first's shared
// fields are copied to them.
func RunSteps(ctx context.Context, exec Executor, h Handoff, steps []*Invocation, started func(int)) []StepRun {
	runs := make([]StepRun, 0, len(steps))
	if len(steps) == 0 {
		return runs
	}
	data := steps[0].Data
	for i, inv := range steps {
		if err := ctx.Err(); err != nil && i > 0 {
			break // the chain was stopped between steps: nothing more runs
		}
		ShareContext(inv, steps[0])
		inv.Data = data
		if started != nil {
			started(i)
		}
		run := StepRun{Started: time.Now()}
		run.Result, run.Err = exec.Execute(ctx, inv)
		run.Duration = time.Since(run.Started)
		if run.Err == nil {
			next, stop := h.Next(run.Result, data)
			if stop != nil {
				run.Err = stop
			}
			data = next
		}
		runs = append(runs, run)
		if run.Err != nil {
			break
		}
	}
	return runs
}

// ShareContext gives a chain step the fields its steps share with the first.
func ShareContext(step, first *Invocation) {
	if step == first {
		return
	}
	step.RequestID, step.Request, step.Auth, step.Call, step.Deadline, step.Trace = first.RequestID, first.Request, first.Auth, first.Call, first.Deadline, first.Trace
}

// PassData is the plainest handoff: a step's JSON value is the next
// step's data, and a step that returns nothing (undefined or null) hands
// on what it received. A Response ends the chain: steps pass data.
var PassData = Handoff{Name: "data", Next: func(res *Result, prev json.RawMessage) (json.RawMessage, *RunError) {
	return NextData(res, prev)
}}

// NextData is PassData's rule, for handoffs that check more.
func NextData(res *Result, prev json.RawMessage) (json.RawMessage, *RunError) {
	if res == nil || res.Response != nil {
		return nil, &RunError{Status: 500, Code: CodeBadResult, Message: "a chain step must return data, not a Response"}
	}
	if t := bytes.TrimSpace(res.JSON); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return prev, nil
	}
	return res.JSON, nil
}
