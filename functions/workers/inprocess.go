package workers

import (
	"context"
	"sync"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// InProcess spawns workers inside the gateway process (isolation=inprocess).
func InProcess(e *engine.Engine) Spawner {
	return func(*functions.Invocation) (Runner, error) { return &inProcess{e: e}, nil }
}

type inProcess struct {
	e  *engine.Engine
	mu sync.Mutex
	w  *engine.Worker
}

func (p *inProcess) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	p.mu.Lock()
	if p.w == nil {
		w, err := p.e.NewWorker(ctx, inv)
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

func (p *inProcess) Restarts() uint64 { return 0 }
func (p *inProcess) Close()           {}
