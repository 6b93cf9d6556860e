package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"net/http"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

var _ functions.ChainExecutor = (*Pool)(nil)

// ExecuteChain runs a chain in one sandbox, in one frame (see chain.go):
// the sandbox of the first step's tenant, whose runs the chain's steps
// are. The sandboxes apply the handoff they hold under h's name. A chain
// with a quarantined step runs step by step, each in its own sandbox as
// Execute sends it; so does the rest of a chain whose sandbox died before
// reading it, on the next process.
func (p *Pool) ExecuteChain(ctx context.Context, h functions.Handoff, steps []*functions.Invocation) []functions.StepRun {
	runs := make([]functions.StepRun, 0, len(steps))
	if len(steps) == 0 {
		return runs
	}
	first := steps[0]
	deadline := time.Now().Add(runTimeout(first)) // how long to wait for a restarting sandbox
	hash := fnv.New32a()
	_, _ = hash.Write([]byte(first.Function.Tenant))
	s := p.slots[int(hash.Sum32()%uint32(len(p.slots)))]
	data := first.Data
	for len(runs) < len(steps) {
		rest := steps[len(runs):]
		if rest[0] != first {
			functions.ShareContext(rest[0], first)
			rest[0].Data = data
		}
		if p.anyQuarantined(rest) {
			return append(runs, functions.RunSteps(ctx, p, h, rest, nil)...)
		}
		proc, err := s.wait(ctx, deadline)
		if err != nil {
			return append(runs, functions.StepRun{Started: time.Now(), Err: err})
		}
		got, next, err := proc.executeChain(ctx, h.Name, rest)
		runs = append(runs, got...)
		if !errors.Is(err, errNotDelivered) {
			return runs
		}
		data = next // the rest never reached the sandbox: on to the next one
	}
	return runs
}

func (p *Pool) anyQuarantined(steps []*functions.Invocation) bool {
	for _, inv := range steps {
		if _, ok := p.Quarantined(inv.Function.ID); ok {
			return true
		}
	}
	return false
}

// executeChain runs steps in this sandbox, sending again from the step
// that needs its code or record. It returns the steps that ran; with
// errNotDelivered, the rest never reached the sandbox, and next is the
// data the first of them is to get.
func (p *process) executeChain(ctx context.Context, handoff string, steps []*functions.Invocation) (runs []functions.StepRun, next json.RawMessage, err error) {
	first := steps[0]
	n := len(steps)
	flags, vers, sent := make([]byte, n), make([]uint64, n), make([]*sentVersion, n)
	for i, inv := range steps {
		if !p.hasCode.Contains(inv.Hash) {
			flags[i] |= withCode
		}
		v, fresh := p.version(inv)
		if fresh {
			flags[i] |= withVersion
		}
		vers[i], sent[i] = v.id, v
	}
	from := 0 // the first step of the frame
	for attempt := 0; attempt < 2*n+1; attempt++ {
		frame := steps[from:]
		if from > 0 {
			functions.ShareContext(frame[0], first)
		}
		memoryMB := frame[0].MemoryMB
		started := time.Now()
		slot := p.board.take()
		w := chainWatch{b: p.board, slot: slot, frame: frame, sent: started}
		run := pendingRun{tenant: first.Function.Tenant, function: frame[0].Function.ID, memoryMB: memoryMB, slot: slot, steps: frame}
		if anyLive(frame) {
			run.live = func(step int, l functions.LogLine) {
				if step < len(frame) && frame[step].OnLog != nil {
					frame[step].OnLog(l)
				}
			}
		}
		resp, err := p.exchange(ctx, trip{
			encode: func(b []byte, id uint64) ([]byte, error) {
				return appendChain(b, id, handoff, slot, frame, vers[from:], flags[from:])
			},
			// A death or an overstay is put down to the step the board
			// says was running (see board.go).
			run:      run,
			limit:    w.first(),
			overstay: w.overstay,
			drain:    true,
		})
		at, _ := p.board.step(slot)
		p.board.give(slot)
		if errors.Is(err, errNotDelivered) {
			return runs, frame[0].Data, err
		}
		if err != nil {
			return append(runs, lost(frame, at, started, err)...), nil, nil
		}
		if resp.Chain == nil {
			return append(runs, functions.StepRun{Started: started, Duration: time.Since(started), Err: &functions.RunError{
				Status: http.StatusBadGateway, Code: CodeSandboxCrash, Message: "the sandbox did not answer the chain"}}), nil, nil
		}
		// It read the frame: the records in it are stored there.
		for i := from; i < n; i++ {
			if flags[i]&withVersion != 0 {
				sent[i].confirmed.Store(true)
			}
		}
		resend := false
		for j, st := range resp.Chain {
			i := from + j
			if i >= n {
				break // more answers than steps: ignored
			}
			if st.Need != 0 {
				if st.Need&^flags[i] == 0 {
					break // it was sent what it asks for: give up below
				}
				flags[i] |= st.Need
				steps[i].Data = st.Data
				from, resend = i, true
				break
			}
			p.hasCode.Add(steps[i].Hash, struct{}{})
			run := functions.StepRun{Started: st.Started, Duration: st.Duration, Result: st.Result}
			if st.Err != nil {
				run.Err = st.Err
			}
			runs = append(runs, run)
		}
		if !resend {
			if len(resp.Chain) > 0 && resp.Chain[len(resp.Chain)-1].Need != 0 {
				break
			}
			return runs, nil, nil
		}
	}
	return append(runs, functions.StepRun{Started: time.Now(), Err: &functions.RunError{
		Status: http.StatusBadGateway, Code: CodeSandboxCrash, Message: "the sandbox gave no answer"}}), nil, nil
}

// lost is a frame's steps when its sandbox died or was stopped before it
// answered: the steps before the one the board says was running passed
// (the sandbox moved on from them), their results lost with it; that one
// failed with err.
func lost(frame []*functions.Invocation, at int, started time.Time, err error) []functions.StepRun {
	at = min(max(at, 0), len(frame)-1)
	runs := make([]functions.StepRun, at+1)
	for i := range at {
		runs[i] = functions.StepRun{Started: started, Result: &functions.Result{}}
	}
	runs[at] = functions.StepRun{Started: started, Duration: time.Since(started), Err: err}
	return runs
}

// chainWatch is the watchdog's view of a chain in flight: each step gets
// its own time limit plus the grace from when it started, as a run of
// its own would. The watchdog first fires when the shortest limit could
// have passed; each time, the board says which step is running since
// when, and the watchdog kills the sandbox if that step has overstayed,
// else waits until it would have, or until a later step could have.
// Without a board, steps are taken to start when the frame was sent
// (slower to kill, never sooner).
type chainWatch struct {
	b     *board
	slot  uint32
	frame []*functions.Invocation
	sent  time.Time
}

// first is the shortest limit of the frame's steps.
func (w *chainWatch) first() time.Duration {
	d := runTimeout(w.frame[0])
	for _, inv := range w.frame[1:] {
		d = min(d, runTimeout(inv))
	}
	return d
}

func (w *chainWatch) overstay(grace time.Duration) (wait, limit time.Duration) {
	i, since := w.b.step(w.slot)
	if i < 0 || i >= len(w.frame) || since.Before(w.sent.Add(-time.Second)) {
		i, since = 0, w.sent // nothing on the board yet (or nonsense)
	} else {
		since = since.Add(time.Millisecond) // the board keeps whole milliseconds: round up
	}
	limit = runTimeout(w.frame[i])
	now := time.Now()
	wait = since.Add(limit + grace).Sub(now)
	if wait <= 0 {
		return 0, limit
	}
	// A later step starts after now, and has its own limit from then.
	for _, inv := range w.frame[i+1:] {
		wait = min(wait, runTimeout(inv)+grace)
	}
	return wait, limit
}
