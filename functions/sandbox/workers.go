package sandbox

import (
	"os/exec"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/workers"
)

// WorkerSpawner starts each Worker function in a dedicated sandbox
// process capped at the function's own memory budget. command returns
// the command of a worker sandbox with that cap; base gives the rest of
// the pool's settings.
func WorkerSpawner(base Config, command func(memoryMB int) *exec.Cmd) workers.Spawner {
	return func(inv *functions.Invocation) (workers.Runner, error) {
		cfg := base
		cfg.Size = 1
		cfg.NoQuarantine = true // the sandbox is the Worker's own already
		cfg.MemoryMB = inv.MemoryMB
		cfg.Command = func() *exec.Cmd { return command(inv.MemoryMB) }
		p := New(cfg)
		if err := p.Start(); err != nil {
			return nil, err
		}
		return p, nil
	}
}
