package workers

import (
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// InProcess spawns workers inside the gateway process (isolation=inprocess).
func InProcess(e *engine.Engine) Spawner {
	return func(*functions.Invocation) (Runner, error) { return inProcess{e.NewPersistent()}, nil }
}

// inProcess hosts a worker's runtime in the gateway: nothing to restart or close.
type inProcess struct{ *engine.Persistent }

func (inProcess) Restarts() uint64 { return 0 }
func (inProcess) Close()           {}
