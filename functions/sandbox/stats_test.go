package sandbox

import (
	"testing"

	"github.com/scriptforge/scriptforge/functions/engine"
)

// A pool's figures are its live sandboxes' last reports plus the counts
// of those that died; a dead sandbox's caches no longer count.
func TestPoolStatsSum(t *testing.T) {
	var ps poolStats
	a, b := &process{}, &process{}
	st := func(hits uint64, bytes int64) engine.Stats {
		var s engine.Stats
		s.Programs.Hits, s.Programs.Bytes = hits, bytes
		s.Warm.DiscardsBy[engine.DiscardInterrupted] = hits
		s.Fetches[1] = hits
		return s
	}
	ps.set(a, st(1, 100))
	ps.set(a, st(5, 300)) // totals, not deltas: the last report counts
	ps.set(b, st(2, 50))
	if got := ps.sum(); got.Programs.Hits != 7 || got.Programs.Bytes != 350 || got.Fetches[1] != 7 || got.Warm.DiscardsBy[engine.DiscardInterrupted] != 7 {
		t.Fatalf("two live sandboxes: %+v", got)
	}
	ps.retire(a)
	ps.retire(a) // a second death report adds nothing
	if got := ps.sum(); got.Programs.Hits != 7 || got.Programs.Bytes != 50 || got.Fetches[1] != 7 {
		t.Fatalf("after a death: %+v", got)
	}
	c := &process{} // a's replacement starts from zero
	ps.set(c, st(1, 10))
	if got := ps.sum(); got.Programs.Hits != 8 || got.Programs.Bytes != 60 {
		t.Fatalf("after the restart: %+v", got)
	}
}
