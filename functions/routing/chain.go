package routing

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Status is a routing decision that is not a route: the SIP code and
// reason the switch answers the call with.
type Status struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// Where a step runs in the chain.
const (
	PlaceFirst    = "run-first"
	PlaceAssigned = "assigned"
	PlaceLast     = "run-last"
)

// Step is one function of a chain.
type Step struct {
	Function functions.Deployed
	Place    string
}

// Steps orders a chain: the run-first functions, the assigned one, the
// run-last ones. The assigned function is not run twice when it also
// has a routing priority: its assignment places it.
func Steps(first []functions.Deployed, assigned functions.Deployed, last []functions.Deployed) []Step {
	steps := make([]Step, 0, len(first)+1+len(last))
	for _, d := range first {
		if d.ID != assigned.ID {
			steps = append(steps, Step{Function: d, Place: PlaceFirst})
		}
	}
	steps = append(steps, Step{Function: assigned, Place: PlaceAssigned})
	for _, d := range last {
		if d.ID != assigned.ID {
			steps = append(steps, Step{Function: d, Place: PlaceLast})
		}
	}
	return steps
}

// Request is one call to route.
type Request struct {
	Steps []Step
	Data  json.RawMessage // what the switch sent
	// Deadline bounds the whole chain; Action answers when it passes.
	Deadline time.Time
	Action   TimeoutAction
	// Invocation returns the call of one function with everything but
	// data, deadline and timeout filled in (request, auth, request id).
	Invocation func(functions.Deployed) *functions.Invocation
}

// StepResult is what one step did, for its run record.
type StepResult struct {
	Step     Step
	Started  time.Time
	Duration time.Duration
	Result   *functions.Result // nil when it failed
	Err      error             // the run's error, or why the chain stopped here
	// TimedOut: the deadline passed while this step ran; the step may
	// still be finishing in the background, its result unused.
	TimedOut bool
}

// Outcome is how a chain ended: exactly one of Data, Status and Invalid.
type Outcome struct {
	Data    json.RawMessage // the last step's data: the route
	Status  *Status         // timeout action, a thrown SIP code, or 500
	Invalid *ShapeError     // a step returned malformed header manipulation
	Steps   []StepResult
	// Late, when set, delivers Steps once the executor has stopped the
	// chain: the deadline passed (or the caller left) while it ran, and
	// the answer did not wait for it.
	Late <-chan []StepResult
}

// Chain runs routing chains with an Executor. One that runs chains
// itself (functions.ChainExecutor: a sandbox pool) gets the whole chain
// at once; any other runs it one Execute per step.
type Chain struct {
	Exec functions.Executor
}

// errNotData is a step that answered with a Response object or nothing
// routable: a routing script returns data.
var errNotData = errors.New("a routing function must return the routing data object, not a Response")

// codeInvalidData is the run error of a step whose data breaks the header rules.
const codeInvalidData = "invalid_routing_data"

// Handoff is what one step hands the next: its returned data, checked
// against the header manipulation rules (ValidateData); undefined or
// null hands on what it received. Sandboxes apply it between the steps
// of a chain they run, under its name.
var Handoff = functions.Handoff{Name: "routing", Next: handoff}

func handoff(res *functions.Result, prev json.RawMessage) (json.RawMessage, *functions.RunError) {
	if res == nil || res.Response != nil {
		return nil, &functions.RunError{Code: functions.CodeBadResult, Message: errNotData.Error()}
	}
	next, _ := functions.NextData(res, prev)
	if err := ValidateShape(next); err != nil { // an engine wrote it: valid JSON
		return nil, &functions.RunError{Code: codeInvalidData, Message: err.Error()}
	}
	return next, nil
}

// Run runs the steps in order, each on the data the previous one
// returned. When the deadline passes it answers the timeout action at
// once: the running step is cancelled and left to finish on its own;
// the outcome's Late then delivers the steps' results for their run
// records.
func (c *Chain) Run(ctx context.Context, req Request) Outcome {
	timeout := &Status{Code: req.Action.Code, Message: req.Action.Reason}
	if len(req.Steps) == 0 || !time.Now().Before(req.Deadline) {
		return Outcome{Status: timeout}
	}
	invs := make([]*functions.Invocation, len(req.Steps))
	for i, step := range req.Steps {
		// The run keeps its version's own timeout: an executor keys what
		// it caches of a version by it (a sandbox's version record, a warm
		// runtime). The chain's deadline stops it through the context.
		invs[i] = req.Invocation(step.Function)
		invs[i].Deadline = req.Deadline
	}
	invs[0].Data = req.Data
	// Cancelled once the chain is over, here and not by the executor's
	// goroutine: a chain that ended would otherwise close Done too, and
	// the select below could take a finished chain for an overrun one.
	runCtx, cancel := context.WithDeadline(ctx, req.Deadline)
	done := make(chan []functions.StepRun, 1) // buffered: a chain left behind never blocks
	exec := functions.ChainOf(c.Exec)
	go func() { done <- exec.ExecuteChain(runCtx, Handoff, invs) }()
	select {
	case runs := <-done:
		cancel()
		return c.outcome(req, runs, timeout)
	case <-runCtx.Done():
	}
	// Answered now; the steps are known once the executor has stopped them.
	late := make(chan []StepResult, 1)
	out := Outcome{Status: timeout, Late: late}
	if ctx.Err() != nil { // the caller went away: not a routing decision
		out.Status = &Status{Code: 500, Message: "Server Internal Error"}
	}
	go func() {
		runs := <-done
		cancel()
		late <- c.outcome(req, runs, timeout).Steps
	}()
	return out
}

// outcome is how the chain ended, from the steps as they ran.
func (c *Chain) outcome(req Request, runs []functions.StepRun, timeout *Status) Outcome {
	out := Outcome{Steps: make([]StepResult, len(runs))}
	data := req.Data
	for i, run := range runs {
		out.Steps[i] = StepResult{Step: req.Steps[i], Started: run.Started, Duration: run.Duration, Result: run.Result, Err: run.Err}
		last := i == len(runs)-1
		// The step that ran into the deadline: it failed because of it (it
		// saw the cancel, or its own timeout was the time left), or the
		// chain stopped after it. A millisecond of slack covers timer skew.
		if last && (run.Err != nil || len(runs) < len(req.Steps)) &&
			!run.Started.Add(run.Duration).Add(time.Millisecond).Before(req.Deadline) {
			in := min(run.Duration, req.Deadline.Sub(run.Started))
			te := &functions.RunError{Code: functions.CodeTimeout,
				Message: fmt.Sprintf("the chain's deadline passed after %d ms in this step; the switch got %s", in.Milliseconds(), req.Action)}
			var re *functions.RunError
			if errors.As(run.Err, &re) {
				te.CPU, te.Logs = re.CPU, re.Logs // what it used before it was stopped
			} else if run.Result != nil {
				te.CPU, te.Logs = run.Result.CPU, run.Result.Logs
			}
			out.Steps[i].Err, out.Steps[i].Result, out.Steps[i].TimedOut = te, nil, true
			out.Status = timeout
			return out
		}
		if run.Err == nil {
			data, _ = functions.NextData(run.Result, data)
			continue
		}
		var re *functions.RunError
		switch {
		case run.Result != nil && errors.As(run.Err, &re) && re.Code == codeInvalidData:
			// The 422 names the path: found again here, where the error
			// type is (the step may have run in another process).
			var se *ShapeError
			if err := ValidateShape(run.Result.JSON); errors.As(err, &se) {
				out.Invalid = se
				return out
			}
			out.Status = &Status{Code: 500, Message: "Server Internal Error"}
		case run.Result != nil:
			out.Status = &Status{Code: 500, Message: "Server Internal Error"} // not data
		default:
			out.Status = errorStatus(run.Err)
		}
		return out
	}
	if len(runs) < len(req.Steps) { // stopped between steps: by the deadline
		out.Status = timeout
		return out
	}
	// The last step's data passed the handoff like every step's (an
	// executor applies it to each result, the last included): it goes to
	// the switch as it is.
	out.Data = data
	return out
}

// errorStatus is the SIP answer for a failed step: its own SIP code, or 500.
func errorStatus(err error) *Status {
	var re *functions.RunError
	if errors.As(err, &re) && re.SIPCode != 0 {
		return &Status{Code: re.SIPCode, Message: re.Message}
	}
	return &Status{Code: 500, Message: "Server Internal Error"}
}
