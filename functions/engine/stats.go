package engine

import "github.com/scriptforge/scriptforge/cache"

// Stats are an engine's figures for /metrics: counters since it started,
// and the sizes of its caches now. A sandbox process reports its
// engine's to the gateway (see sandbox.Pool.EngineStats), which adds
// them up.
type Stats struct {
	Programs  cache.Stats // the compiled-program cache
	Warm      WarmStats
	HeapTrips uint64
	// Fetches counts finished fetches by outcome (FetchOutcomes).
	Fetches [numFetchOutcomes]uint64
}

// Stats reports the engine's figures.
func (e *Engine) Stats() Stats {
	st := Stats{Programs: e.cfg.Programs.Stats(), Warm: e.WarmStats(), HeapTrips: e.HeapTrips()}
	for i := range e.fetches {
		st.Fetches[i] = e.fetches[i].Load()
	}
	return st
}

// Add adds o's figures to s: the counters and the sizes (the engines of
// several sandboxes hold their caches side by side).
func (s *Stats) Add(o Stats) {
	p, q := &s.Programs, o.Programs
	p.Hits, p.Misses, p.Evictions = p.Hits+q.Hits, p.Misses+q.Misses, p.Evictions+q.Evictions
	p.Entries, p.Bytes, p.MaxBytes = p.Entries+q.Entries, p.Bytes+q.Bytes, p.MaxBytes+q.MaxBytes
	w, v := &s.Warm, o.Warm
	w.Idle, w.IdleBytes, w.Hits, w.Misses, w.Discards = w.Idle+v.Idle, w.IdleBytes+v.IdleBytes, w.Hits+v.Hits, w.Misses+v.Misses, w.Discards+v.Discards
	for i := range w.DiscardsBy {
		w.DiscardsBy[i] += v.DiscardsBy[i]
	}
	s.HeapTrips += o.HeapTrips
	for i := range s.Fetches {
		s.Fetches[i] += o.Fetches[i]
	}
}

// Counters is s with the sizes zeroed: what a sandbox that died leaves
// behind (its counts happened; its caches are gone).
func (s Stats) Counters() Stats {
	s.Programs.Entries, s.Programs.Bytes, s.Programs.MaxBytes = 0, 0, 0
	s.Warm.Idle, s.Warm.IdleBytes = 0, 0
	return s
}
