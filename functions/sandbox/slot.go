package sandbox

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// slot is one place in the pool; its process is replaced when it dies.
// A shared slot serves the tenants that hash to it; a quarantine slot
// serves one quarantined function (its owner) at a time.
type slot struct {
	pool       *Pool
	index      int
	quarantine bool

	mu sync.Mutex
	// proc is the process calls go to: nil while (re)starting, and from the
	// moment a process is known to be dying (stopped, or its pipe ended).
	proc *process
	// live is the process running, dying or not; nil once it has exited.
	live *process
	// changed is closed and replaced at every change of proc or owner.
	changed   chan struct{}
	launching bool      // a start is scheduled or under way
	crashed   bool      // the last process died and a restart is pending
	restartAt time.Time // when that restart is due
	failures  int       // consecutive quick deaths nobody answers for, for backoff
	owner     string    // quarantine slots: the function served, "" when free
	cgroup    *cgroup   // with Config.Cgroups: made at the first start, kept across restarts
}

func newSlot(p *Pool, index int, quarantine bool) *slot {
	return &slot{pool: p, index: index, quarantine: quarantine, changed: make(chan struct{})}
}

func (s *slot) name() string {
	if s.quarantine {
		return fmt.Sprintf("q%d", s.index)
	}
	return fmt.Sprint(s.index)
}

func (s *slot) current() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

func (s *slot) broadcastLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// retire takes proc out of service: no call is handed to it from now on.
// A process is retired before it is marked dying, so whoever sees it
// dying finds the slot without it.
func (s *slot) retire(proc *process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retireLocked(proc)
}

func (s *slot) retireLocked(proc *process) {
	if proc != nil && s.proc == proc {
		s.proc = nil
		s.broadcastLocked()
	}
}

// wait returns the slot's live process, waiting for a restart in progress
// until deadline (the call's own time limit).
func (s *slot) wait(ctx context.Context, deadline time.Time) (*process, error) {
	var w changeWait
	defer w.stop()
	for {
		s.mu.Lock()
		proc, changed := s.proc, s.changed
		s.mu.Unlock()
		if proc != nil {
			return proc, nil
		}
		if s.pool.closed.Load() {
			return nil, shuttingDown()
		}
		if timedOut, err := w.wait(ctx, s, changed, deadline); err != nil {
			return nil, err
		} else if timedOut {
			return nil, &UnavailableError{After: time.Second, RunError: &functions.RunError{
				Status: http.StatusServiceUnavailable, Code: CodeSandboxRestarting,
				Message: "no sandbox was ready within the function's time limit: its sandbox is restarting after a crash"}}
		}
	}
}

// changeWait is one caller's wait for a slot to change, bounded by the
// caller's deadline: its timer is made on the first wait and reused.
type changeWait struct{ timer *time.Timer }

// wait blocks until changed closes or the pool closes (false, nil), the
// deadline passes (true, nil), or ctx ends (the cancellation).
func (w *changeWait) wait(ctx context.Context, s *slot, changed <-chan struct{}, deadline time.Time) (bool, error) {
	if w.timer == nil {
		w.timer = time.NewTimer(time.Until(deadline))
	}
	select {
	case <-changed:
	case <-s.pool.done:
	case <-ctx.Done():
		return false, canceled(ctx)
	case <-w.timer.C:
		return true, nil
	}
	return false, nil
}

func (w *changeWait) stop() {
	if w.timer != nil {
		w.timer.Stop()
	}
}

// own returns quarantine slot s's process for its owner fn, waiting for
// its first start until deadline. While it restarts after a death it
// returns nil and when to try again; errReroute if fn no longer owns s.
func (s *slot) own(ctx context.Context, fn string, deadline time.Time) (*process, time.Duration, error) {
	var w changeWait
	defer w.stop()
	for {
		s.mu.Lock()
		owner, proc, crashed, at, changed := s.owner, s.proc, s.crashed, s.restartAt, s.changed
		s.mu.Unlock()
		switch {
		case owner != fn:
			return nil, 0, errReroute
		case proc != nil:
			return proc, 0, nil
		case crashed:
			return nil, time.Until(at), nil
		case s.pool.closed.Load():
			return nil, 0, shuttingDown()
		}
		if timedOut, err := w.wait(ctx, s, changed, deadline); err != nil {
			return nil, 0, err
		} else if timedOut {
			return nil, time.Second, nil
		}
	}
}

// start starts the slot's process; restart counts it in Pool.Restarts.
func (s *slot) start(restart bool) error {
	proc, err := startProcess(s)
	if err != nil {
		return err
	}
	if restart {
		s.pool.restarts.Add(1)
	}
	s.mu.Lock()
	// A quarantine slot given back while its process started has no use for it.
	orphan := s.quarantine && s.owner == ""
	s.live = proc
	if !orphan {
		s.proc = proc
	}
	s.crashed, s.restartAt = false, time.Time{}
	s.broadcastLocked()
	s.mu.Unlock()
	switch {
	case s.pool.closed.Load():
		proc.stop("the gateway is shutting down")
	case orphan:
		proc.drain()
	}
	s.pool.log.Info("sandbox started", slog.String("slot", s.name()), slog.Int("pid", proc.cmd.Process.Pid))
	return nil
}

// died replaces a dead process. blamed is the function the death was put
// down to ("" if none): a shared sandbox a function killed is sound and
// starts again at once, since neighbours' calls wait for it (the culprit
// answers for it in quarantine); other quick deaths back off, so a
// sandbox that cannot live does not spin. A quarantine slot backs off on
// every quick death: those cost only its owner, whose calls are refused
// meanwhile.
func (s *slot) died(proc *process, lived time.Duration, blamed string) {
	s.mu.Lock()
	if s.live != proc {
		s.mu.Unlock()
		return
	}
	s.live = nil
	s.retireLocked(proc)
	restart := !s.pool.closed.Load() && (!s.quarantine || s.owner != "")
	backoff := time.Duration(0)
	switch {
	case blamed != "" && !s.quarantine:
		s.failures = 0
	case lived < 10*time.Second:
		s.failures++
	default:
		s.failures = 0
	}
	if s.failures > 1 {
		backoff = min(10*time.Millisecond<<min(s.failures, 10), 5*time.Second)
	}
	if restart {
		s.crashed, s.restartAt, s.launching = true, time.Now().Add(backoff), true
	}
	s.broadcastLocked() // a free quarantine slot may be taken again
	s.mu.Unlock()
	if restart {
		go s.launch(backoff, true)
	}
}

// launch starts the slot's process after a delay, trying again each
// second while it fails; restart counts it in Pool.Restarts.
func (s *slot) launch(after time.Duration, restart bool) {
	defer func() {
		s.mu.Lock()
		s.launching = false
		s.broadcastLocked()
		s.mu.Unlock()
	}()
	if after > 0 {
		t := time.NewTimer(after)
		select {
		case <-t.C:
		case <-s.pool.done:
			t.Stop()
			return
		}
	}
	for !s.pool.closed.Load() {
		s.mu.Lock()
		released := s.quarantine && s.owner == ""
		if released {
			s.crashed = false
		}
		s.mu.Unlock()
		if released {
			return
		}
		err := s.start(restart)
		if err == nil {
			return
		}
		s.pool.log.Error("starting a sandbox", slog.String("slot", s.name()), slog.Any("error", err))
		t := time.NewTimer(time.Second)
		select {
		case <-t.C:
		case <-s.pool.done:
			t.Stop()
			return
		}
	}
}

// memoryCgroup returns the slot's cgroup, creating it on first use; nil
// without Config.Cgroups.
func (s *slot) memoryCgroup() (*cgroup, error) {
	cgs := s.pool.cfg.Cgroups
	if cgs == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cgroup == nil {
		cg, err := cgs.newCgroup(uint64(s.pool.cfg.MemoryMB)<<20 + cgroupSlack)
		if err != nil {
			return nil, err
		}
		s.cgroup = cg
	}
	return s.cgroup, nil
}

func shuttingDown() error {
	return &functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeSandboxCrash, Message: "the gateway is shutting down"}
}

func canceled(ctx context.Context) error {
	return &functions.RunError{Status: functions.StatusCancelled, Code: functions.CodeCancelled, Message: "the run was cancelled: " + context.Cause(ctx).Error()}
}
