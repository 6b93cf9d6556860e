// Package workers runs Worker functions: each has one long-lived runtime of
// its own (in process isolation, a dedicated sandbox process with the
// function's memory cap), whose module state persists between invocations.
// A worker starts on its first invocation, starts again with fresh state
// after a crash or a new deploy, and can be stopped and started.
package workers

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Runner hosts one worker's runtime.
type Runner interface {
	functions.Executor
	// Restarts counts the times the runtime was started again after dying.
	Restarts() uint64
	Close()
}

// Spawner starts the runner of a worker for the version inv belongs to.
type Spawner func(inv *functions.Invocation) (Runner, error)

// CodeStopped is the error code of an invocation of a stopped worker.
const CodeStopped = "worker_stopped"

// Status is what the admin API shows of a worker.
type Status struct {
	State     string    `json:"state"` // running, idle (starts on its next invocation) or stopped
	Version   string    `json:"hash,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	Restarts  uint64    `json:"restarts"`
}

// Manager keeps the workers of a gateway.
type Manager struct {
	spawn Spawner
	mu    sync.Mutex
	byID  map[string]*worker
}

type worker struct {
	mu       sync.Mutex
	runner   Runner
	hash     string
	stopped  bool
	started  time.Time
	restarts uint64 // of runners already closed (a new deploy, a stop)
}

// New returns a manager that starts workers with spawn.
func New(spawn Spawner) *Manager {
	return &Manager{spawn: spawn, byID: map[string]*worker{}}
}

func (m *Manager) get(id string) *worker {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := m.byID[id]
	if w == nil {
		w = &worker{}
		m.byID[id] = w
	}
	return w
}

// Execute runs inv in its worker, starting the worker (or starting it
// again on a new version) when needed.
func (m *Manager) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	w := m.get(inv.Function.ID)
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return nil, &functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeStopped,
			Message: fmt.Sprintf("the worker is stopped; start it with POST /v1/functions/%s/start", inv.Function.ID)}
	}
	if w.runner == nil || w.hash != inv.Hash {
		w.closeRunner()
		r, err := m.spawn(inv)
		if err != nil {
			w.mu.Unlock()
			return nil, &functions.RunError{Status: http.StatusServiceUnavailable, Code: "worker_start_failed", Message: err.Error()}
		}
		w.runner, w.hash, w.started = r, inv.Hash, time.Now().UTC()
	}
	r := w.runner
	w.mu.Unlock()
	return r.Execute(ctx, inv)
}

func (w *worker) closeRunner() {
	if w.runner != nil {
		w.restarts += w.runner.Restarts()
		w.runner.Close()
		w.runner, w.hash = nil, ""
	}
}

// Stop ends the worker's runtime; invocations fail until Start.
func (m *Manager) Stop(id string) {
	w := m.get(id)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = true
	w.closeRunner()
}

// Start lets the worker run again; it starts on its next invocation.
func (m *Manager) Start(id string) {
	w := m.get(id)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.stopped = false
}

// Forget stops the worker of a deleted function and drops its record.
func (m *Manager) Forget(id string) {
	m.Stop(id)
	m.mu.Lock()
	delete(m.byID, id)
	m.mu.Unlock()
}

// Status reports on the worker.
func (m *Manager) Status(id string) Status {
	w := m.get(id)
	w.mu.Lock()
	defer w.mu.Unlock()
	st := Status{State: "idle", Restarts: w.restarts}
	switch {
	case w.stopped:
		st.State = "stopped"
	case w.runner != nil:
		st.State, st.Version, st.StartedAt = "running", w.hash, w.started
		st.Restarts += w.runner.Restarts()
	}
	return st
}

// Close stops every worker.
func (m *Manager) Close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, w := range m.byID {
		w.mu.Lock()
		w.closeRunner()
		w.mu.Unlock()
	}
}

// Dispatch sends Worker functions to their workers and the rest to Functions.
type Dispatch struct {
	Functions functions.Executor
	Workers   *Manager
}

var _ functions.Executor = Dispatch{}

func (d Dispatch) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	if inv.Type == functions.TypeWorker {
		return d.Workers.Execute(ctx, inv)
	}
	return d.Functions.Execute(ctx, inv)
}

var _ functions.ChainExecutor = Dispatch{}

// ExecuteChain runs a chain with Functions' own ExecuteChain when it has
// one and no step is a Worker; else step by step through Execute.
func (d Dispatch) ExecuteChain(ctx context.Context, h functions.Handoff, steps []*functions.Invocation) []functions.StepRun {
	for _, inv := range steps {
		if inv.Type == functions.TypeWorker {
			return functions.RunSteps(ctx, d, h, steps, nil)
		}
	}
	return functions.ChainOf(d.Functions).ExecuteChain(ctx, h, steps)
}
