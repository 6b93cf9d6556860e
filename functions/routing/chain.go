package routing

import (
	"bytes"
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
}

// Chain runs routing chains with an Executor.
type Chain struct {
	Exec functions.Executor
}

// errNotData is a step that answered with a Response object or nothing
// routable: a routing script returns data.
var errNotData = errors.New("a routing function must return the routing data object, not a Response")

// Run runs the steps in order, each on the data the previous one
// returned. When the deadline passes it answers the timeout action at
// once: the running step is cancelled and left to finish on its own.
func (c *Chain) Run(ctx context.Context, req Request) Outcome {
	out := Outcome{Steps: make([]StepResult, 0, len(req.Steps))}
	data := req.Data
	timeout := &Status{Code: req.Action.Code, Message: req.Action.Reason}
	for _, step := range req.Steps {
		started := time.Now()
		left := req.Deadline.Sub(started)
		if left <= 0 {
			out.Status = timeout
			return out
		}
		inv := req.Invocation(step.Function)
		// The run keeps its version's own timeout: an executor keys what
		// it caches of a version by it (a sandbox's version record, a warm
		// runtime). The chain's deadline stops it through the context.
		inv.Data, inv.Deadline = data, req.Deadline
		d, timedOut := c.runStep(ctx, inv, req.Deadline)
		res, err := d.res, d.err
		sr := StepResult{Step: step, Started: started, Duration: time.Since(started), Result: res, Err: err, TimedOut: timedOut}
		if timedOut {
			if sr.Err == nil {
				sr.Err = &functions.RunError{Code: functions.CodeTimeout,
					Message: fmt.Sprintf("the chain's deadline passed after %d ms in this step; the switch got %s", sr.Duration.Milliseconds(), req.Action)}
			}
			out.Steps = append(out.Steps, sr)
			out.Status = timeout
			return out
		}
		if err != nil {
			out.Steps = append(out.Steps, sr)
			out.Status = errorStatus(err)
			return out
		}
		next, err := stepData(res, data)
		if err != nil {
			sr.Err = &functions.RunError{Code: functions.CodeBadResult, Message: err.Error()}
			out.Steps = append(out.Steps, sr)
			out.Status = &Status{Code: 500, Message: "Server Internal Error"}
			return out
		}
		if err := ValidateData(next); err != nil {
			var se *ShapeError
			errors.As(err, &se)
			sr.Err = &functions.RunError{Code: "invalid_routing_data", Message: err.Error()}
			out.Steps = append(out.Steps, sr)
			out.Invalid = se
			return out
		}
		out.Steps = append(out.Steps, sr)
		data = next
	}
	out.Data = data
	return out
}

type stepDone struct {
	res *functions.Result
	err error
}

// runStep runs one invocation and returns as soon as it ends or the
// deadline passes, whichever is first.
func (c *Chain) runStep(ctx context.Context, inv *functions.Invocation, deadline time.Time) (d stepDone, timedOut bool) {
	// Cancelled when this returns, not when the run does: a run that
	// ended would otherwise close Done too, and the select below could
	// take a finished run for an overrun one. A run left behind at the
	// deadline is stopped by the same cancel.
	runCtx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	done := make(chan stepDone, 1) // buffered: a step left behind never blocks
	go func() {
		res, err := c.Exec.Execute(runCtx, inv)
		done <- stepDone{res, err}
	}()
	select {
	case d := <-done:
		// A run that failed at the deadline (its own timeout is the time
		// left, or it saw the cancel) failed because of it: the timeout
		// action too. A millisecond of slack covers timer skew.
		return d, d.err != nil && !time.Now().Add(time.Millisecond).Before(deadline)
	case <-runCtx.Done():
		if ctx.Err() != nil { // the caller went away: not a routing decision
			return stepDone{err: ctx.Err()}, false
		}
		return stepDone{}, true
	}
}

// errorStatus is the SIP answer for a failed step: its own SIP code, or 500.
func errorStatus(err error) *Status {
	var re *functions.RunError
	if errors.As(err, &re) && re.SIPCode != 0 {
		return &Status{Code: re.SIPCode, Message: re.Message}
	}
	return &Status{Code: 500, Message: "Server Internal Error"}
}

// stepData is the data a step hands on: its return value; undefined or
// null hands on what it received (a script that only looks or logs).
func stepData(res *functions.Result, prev json.RawMessage) (json.RawMessage, error) {
	if res == nil || res.Response != nil {
		return nil, errNotData
	}
	if t := bytes.TrimSpace(res.JSON); len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return prev, nil
	}
	return res.JSON, nil
}
