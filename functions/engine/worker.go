package engine

import (
	"context"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Worker keeps one runtime for a Worker function: its module runs once and
// its state (module-level variables) persists from one invocation to the
// next. Invocations run one at a time, as in any JavaScript runtime.
type Worker struct {
	e    *Engine
	mu   sync.Mutex
	r    *run
	hash string
}

// NewWorker compiles inv's code and runs its module once.
func (e *Engine) NewWorker(ctx context.Context, inv *functions.Invocation) (*Worker, error) {
	prg, err := e.program(inv)
	if err != nil {
		return nil, err
	}
	r := newRun(e, inv)
	if _, err := e.guard(ctx, r, time.Now(), func() (*functions.Result, error) {
		return &functions.Result{}, r.load(prg)
	}); err != nil {
		return nil, err
	}
	return &Worker{e: e, r: r, hash: inv.Hash}, nil
}

// Hash is the version hash of the code the worker runs.
func (w *Worker) Hash() string { return w.hash }

// Execute calls inv's export in the worker's runtime.
func (w *Worker) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r := w.r
	r.beginCall(inv)
	r.vm.ClearInterrupt() // a previous call may have ended in one
	return w.e.guard(ctx, r, time.Now(), r.call)
}

// Persistent is an Executor that runs every invocation in one Worker,
// started on the first invocation and again when the code changes: the
// runtime of one Worker function, wherever it is hosted.
type Persistent struct {
	e  *Engine
	mu sync.Mutex
	w  *Worker
}

// NewPersistent returns a Persistent executor on e.
func (e *Engine) NewPersistent() *Persistent { return &Persistent{e: e} }

func (p *Persistent) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	p.mu.Lock()
	if p.w == nil || p.w.Hash() != inv.Hash {
		w, err := p.e.NewWorker(ctx, inv) // ErrNoCode: the caller sends the code
		if err != nil {
			p.mu.Unlock()
			return nil, err
		}
		p.w = w
	}
	w := p.w
	p.mu.Unlock()
	return w.Execute(ctx, inv)
}
