package gateway

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/scriptforge/scriptforge/functions/engine"
)

// engineCollector puts the engines' figures on /metrics: the in-process
// engine's, or the sandboxes' added up (they report them to the gateway;
// see functions/sandbox/stats.go). One snapshot per scrape. No label
// names a function: the figures are the fleet's.
type engineCollector struct{ stats func() engine.Stats }

var (
	descCacheHits      = prometheus.NewDesc("scriptforge_program_cache_hits_total", "Compiled-program cache hits.", nil, nil)
	descCacheMisses    = prometheus.NewDesc("scriptforge_program_cache_misses_total", "Compiled-program cache misses (compiles).", nil, nil)
	descCacheEvictions = prometheus.NewDesc("scriptforge_program_cache_evictions_total", "Programs evicted for space.", nil, nil)
	descCacheBytes     = prometheus.NewDesc("scriptforge_program_cache_bytes", "Estimated bytes of cached programs.", nil, nil)
	descCacheEntries   = prometheus.NewDesc("scriptforge_program_cache_entries", "Cached programs.", nil, nil)
	descWarmHits       = prometheus.NewDesc("scriptforge_warm_runtime_hits_total", "Calls served by a warm runtime.", nil, nil)
	descWarmMisses     = prometheus.NewDesc("scriptforge_warm_runtime_misses_total", "Calls that built a runtime.", nil, nil)
	descWarmDiscards   = prometheus.NewDesc("scriptforge_warm_runtime_discards_total",
		"Runtimes thrown away, by reason: interrupted (time limit, cancel, heap watcher), limit, load_failed, version, lifetime, evicted, heap.", []string{"reason"}, nil)
	descWarmIdle      = prometheus.NewDesc("scriptforge_warm_runtimes_idle", "Idle warm runtimes.", nil, nil)
	descWarmIdleBytes = prometheus.NewDesc("scriptforge_warm_runtimes_idle_bytes", "Estimated bytes of idle warm runtimes.", nil, nil)
	descHeapTrips     = prometheus.NewDesc("scriptforge_heap_limit_trips_total", "Times a heap passed its limit and the runs in progress were stopped.", nil, nil)
	descFetches       = prometheus.NewDesc("scriptforge_fetches_total",
		"Fetches made by functions, by result: ok (an answer came, whatever its status), blocked, timeout, too_large, network, redirect, aborted.", []string{"result"}, nil)
)

func (engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCacheHits, descCacheMisses, descCacheEvictions, descCacheBytes, descCacheEntries,
		descWarmHits, descWarmMisses, descWarmDiscards, descWarmIdle, descWarmIdleBytes, descHeapTrips, descFetches} {
		ch <- d
	}
}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter(descCacheHits, s.Programs.Hits)
	counter(descCacheMisses, s.Programs.Misses)
	counter(descCacheEvictions, s.Programs.Evictions)
	gauge(descCacheBytes, s.Programs.Bytes)
	gauge(descCacheEntries, int64(s.Programs.Entries))
	counter(descWarmHits, s.Warm.Hits)
	counter(descWarmMisses, s.Warm.Misses)
	for i, reason := range engine.DiscardReasons {
		counter(descWarmDiscards, s.Warm.DiscardsBy[i], reason)
	}
	gauge(descWarmIdle, int64(s.Warm.Idle))
	gauge(descWarmIdleBytes, s.Warm.IdleBytes)
	counter(descHeapTrips, s.HeapTrips)
	for i, result := range engine.FetchOutcomes {
		counter(descFetches, s.Fetches[i], result)
	}
}
