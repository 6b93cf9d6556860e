package sandbox

import (
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions/engine"
)

// A sandbox's engine counts what happens inside it (program cache, warm
// runtimes, fetches, heap-limit trips); the gateway's /metrics shows them
// added up over the sandboxes. Each sandbox sends its engine's figures,
// as totals since it started, in a stats frame every statsEvery when
// they changed: nothing rides on the answers of runs, so the hot path
// pays nothing, and a lost or late frame loses nothing but freshness.
// What a sandbox counted after its last frame is lost when it dies.

// kindStats (sandbox to gateway, id 0) carries engine.Stats.
const kindStats byte = 22

// statsEvery is how often a sandbox reports its figures, if they changed.
const statsEvery = 250 * time.Millisecond

// reportStats sends stats' figures on out every statsEvery while they
// change, until stop is closed.
func reportStats(out *frameWriter, stats func() engine.Stats, stop <-chan struct{}) {
	t := time.NewTicker(statsEvery)
	defer t.Stop()
	var last engine.Stats
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		st := stats()
		if st == last {
			continue
		}
		last = st
		_ = out.send(func(b []byte) ([]byte, error) { return appendResponse(b, &response{Stats: &st}), nil }) // a broken pipe: the gateway is gone
	}
}

func (e *enc) stats(s *engine.Stats) {
	p := &s.Programs
	for _, v := range []uint64{p.Hits, p.Misses, p.Evictions, uint64(p.Entries), uint64(p.Bytes), uint64(p.MaxBytes),
		uint64(s.Warm.Idle), uint64(s.Warm.IdleBytes), s.Warm.Hits, s.Warm.Misses, s.Warm.Discards, s.HeapTrips} {
		e.uvarint(v)
	}
	for _, v := range s.Warm.DiscardsBy {
		e.uvarint(v)
	}
	for _, v := range s.Fetches {
		e.uvarint(v)
	}
}

func (d *dec) stats() *engine.Stats {
	s := &engine.Stats{}
	p := &s.Programs
	p.Hits, p.Misses, p.Evictions = d.uvarint(), d.uvarint(), d.uvarint()
	p.Entries, p.Bytes, p.MaxBytes = int(d.uvarint()), int64(d.uvarint()), int64(d.uvarint())
	s.Warm.Idle, s.Warm.IdleBytes = int(d.uvarint()), int64(d.uvarint())
	s.Warm.Hits, s.Warm.Misses, s.Warm.Discards, s.HeapTrips = d.uvarint(), d.uvarint(), d.uvarint(), d.uvarint()
	for i := range s.Warm.DiscardsBy {
		s.Warm.DiscardsBy[i] = d.uvarint()
	}
	for i := range s.Fetches {
		s.Fetches[i] = d.uvarint()
	}
	return s
}

// poolStats adds up the figures of a pool's sandboxes: the last each
// live one sent, and the counters of those that died.
type poolStats struct {
	mu      sync.Mutex
	live    map[*process]engine.Stats
	retired engine.Stats
}

func (ps *poolStats) set(p *process, st engine.Stats) {
	ps.mu.Lock()
	if ps.live == nil {
		ps.live = map[*process]engine.Stats{}
	}
	ps.live[p] = st
	ps.mu.Unlock()
}

// retire keeps a dead sandbox's counts; its caches went with it.
func (ps *poolStats) retire(p *process) {
	ps.mu.Lock()
	if st, ok := ps.live[p]; ok {
		ps.retired.Add(st.Counters())
		delete(ps.live, p)
	}
	ps.mu.Unlock()
}

func (ps *poolStats) sum() engine.Stats {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	total := ps.retired
	for _, st := range ps.live {
		total.Add(st)
	}
	return total
}

// EngineStats are the figures of the pool's sandboxes, added up: as
// fresh as their last reports (at most statsEvery old).
func (p *Pool) EngineStats() engine.Stats { return p.stats.sum() }
