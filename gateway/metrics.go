package gateway

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/scriptforge/scriptforge/cache"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// metrics are the gateway's Prometheus series, on a registry of its own
// (no package-global state; two gateways in one test process don't clash).
type metrics struct {
	registry    *prometheus.Registry
	httpTotal   *prometheus.CounterVec
	httpSeconds *prometheus.HistogramVec
	invocations *prometheus.CounterVec
	runSeconds  prometheus.Histogram
	runCPU      prometheus.Histogram
	runsDropped prometheus.Counter
	runsSkipped prometheus.Counter
	runsPruned  prometheus.Counter
	refused     *prometheus.CounterVec
	sseClients  prometheus.Gauge

	// Series resolved once: a label lookup per request costs a hash and a
	// lock, and formatting the status an allocation.
	invocationsOK prometheus.Counter
	http          sync.Map // routeStatus → *httpSeries
}

type routeStatus struct {
	route  string
	status int
}

type httpSeries struct {
	total   prometheus.Counter
	seconds prometheus.Observer
}

func newMetrics(cfg Config) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry: reg,
		httpTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scriptforge_http_requests_total", Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "scriptforge_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route"}),
		invocations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scriptforge_invocations_total", Help: "Function runs by outcome (ok or the error code).",
		}, []string{"outcome"}),
		runSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "scriptforge_run_duration_seconds", Help: "Time spent running functions.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
		runCPU: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "scriptforge_run_cpu_seconds", Help: "CPU time of function runs (their thread's), failed runs included.",
			Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
		runsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scriptforge_run_records_dropped_total", Help: "Run records not stored because the writer was behind.",
		}),
		runsSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scriptforge_run_records_skipped_total", Help: "Quiet runs (below 400, no console output) not stored: over their function's record rate.",
		}),
		runsPruned: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "scriptforge_run_records_pruned_total", Help: "Run records deleted by retention (each tenant's count and age).",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scriptforge_invocations_refused_total", Help: "Invocations refused with 429, by the limit that refused them.",
		}, []string{"limit"}),
		sseClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "scriptforge_sse_clients", Help: "Event-stream clients connected now: streamed runs and log followers.",
		}),
	}
	m.invocationsOK = m.invocations.WithLabelValues("ok")
	reg.MustRegister(m.httpTotal, m.httpSeconds, m.invocations, m.runSeconds, m.runCPU, m.runsDropped, m.runsSkipped, m.runsPruned, m.refused, m.sseClients,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counterFunc := func(f func() uint64, name, help string) {
		if f != nil {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
				func() float64 { return float64(f()) }))
		}
	}
	counterFunc(cfg.HeapTrips, "scriptforge_heap_limit_trips_total", "Times the heap passed its limit and runs in progress were stopped.")
	counterFunc(cfg.SandboxRestarts, "scriptforge_sandbox_restarts_total", "Sandbox processes started again after dying.")
	if q := cfg.Quarantine; q != nil {
		reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scriptforge_quarantined_functions",
				Help: "Functions quarantined now for killing their sandbox."},
				func() float64 { return float64(q.QuarantineStats().Active) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scriptforge_quarantines_total",
				Help: "Times a function was quarantined for killing its sandbox twice within ten minutes."},
				func() float64 { return float64(q.QuarantineStats().Total) }),
		)
	}
	if cacheStats := cfg.CacheStats; cacheStats != nil {
		counter, gauge := statFuncs(cacheStats)
		reg.MustRegister(
			counter("scriptforge_program_cache_hits_total", "Compiled-program cache hits.", func(s cache.Stats) uint64 { return s.Hits }),
			counter("scriptforge_program_cache_misses_total", "Compiled-program cache misses (compiles).", func(s cache.Stats) uint64 { return s.Misses }),
			counter("scriptforge_program_cache_evictions_total", "Programs evicted for space.", func(s cache.Stats) uint64 { return s.Evictions }),
			gauge("scriptforge_program_cache_bytes", "Estimated bytes of cached programs.", func(s cache.Stats) int64 { return s.Bytes }),
			gauge("scriptforge_program_cache_entries", "Cached programs.", func(s cache.Stats) int64 { return int64(s.Entries) }),
		)
	}
	if warm := cfg.WarmStats; warm != nil {
		counter, gauge := statFuncs(warm)
		reg.MustRegister(
			counter("scriptforge_warm_runtime_hits_total", "Calls served by a warm runtime.", func(s engine.WarmStats) uint64 { return s.Hits }),
			counter("scriptforge_warm_runtime_misses_total", "Calls that built a runtime.", func(s engine.WarmStats) uint64 { return s.Misses }),
			counter("scriptforge_warm_runtime_discards_total", "Runtimes thrown away: limits, interrupts, lifetime, eviction, not admitted, version change.", func(s engine.WarmStats) uint64 { return s.Discards }),
			gauge("scriptforge_warm_runtimes_idle", "Idle warm runtimes.", func(s engine.WarmStats) int64 { return int64(s.Idle) }),
			gauge("scriptforge_warm_runtimes_idle_bytes", "Estimated bytes of idle warm runtimes.", func(s engine.WarmStats) int64 { return s.IdleBytes }),
		)
	}
	return m
}

// statFuncs makes collectors that read one field each of the snapshot
// that stats takes, when /metrics is scraped.
func statFuncs[S any](stats func() S) (
	counter func(name, help string, field func(S) uint64) prometheus.Collector,
	gauge func(name, help string, field func(S) int64) prometheus.Collector,
) {
	counter = func(name, help string, field func(S) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
			func() float64 { return float64(field(stats())) })
	}
	gauge = func(name, help string, field func(S) int64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help},
			func() float64 { return float64(field(stats())) })
	}
	return counter, gauge
}

// observeHTTP counts a request. route is a registered pattern, so the
// pairs are few.
func (m *metrics) observeHTTP(route string, status int, d time.Duration) {
	key := routeStatus{route, status}
	s, ok := m.http.Load(key)
	if !ok {
		key.route = strings.Clone(route) // kept: it must not share a buffer
		s, _ = m.http.LoadOrStore(key, &httpSeries{
			total:   m.httpTotal.WithLabelValues(route, strconv.Itoa(status)),
			seconds: m.httpSeconds.WithLabelValues(route),
		})
	}
	series := s.(*httpSeries)
	series.total.Inc()
	series.seconds.Observe(d.Seconds())
}
