package gateway

import (
	"context"
	"log/slog"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// prepare has the executor compile d's live version in the background
// after a deploy or rollback, so that its first call finds the program
// ready (as a platform compiles at upload). Workers are left alone:
// preparing one would start it. A failure costs nothing but the first
// call compiling after all.
func (g *Gateway) prepare(d functions.Deployed) {
	if d.Version.Type == functions.TypeWorker {
		return
	}
	inv := invocationOf(d)
	inv.Prepare = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := g.cfg.Executor.Execute(ctx, inv); err != nil {
			g.log.Debug("preparing a deployed version", slog.String("function_id", d.ID), slog.Any("error", err))
		}
	}()
}
