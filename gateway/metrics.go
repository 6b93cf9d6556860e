package gateway

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/scriptforge/scriptforge/cluster"
)

// SharedLimits is the state of limits shared between gateways
// (ratelimit.Cluster).
type SharedLimits interface {
	Shared() bool
	Fallbacks() uint64
	Gateways() int
}

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
	fnRuns      *prometheus.CounterVec
	authFailed  *prometheus.CounterVec
	sseClients  prometheus.Gauge
	sseStreams  *prometheus.CounterVec // by answer: whole (one write) or events

	// Series resolved once: a label lookup per request costs a hash and a
	// lock, and formatting the status an allocation.
	invocationsOK prometheus.Counter
	http          sync.Map // routeStatus → *httpSeries
	// runs are fnRuns' series by key; a map, not a sync.Map, whose
	// Load would allocate the struct key as an interface every run.
	runsMu sync.RWMutex
	runs   map[runSeries]prometheus.Counter

	// Function ids that label fnRuns: at most maxFunctionIDs of them.
	maxFunctionIDs int
	fnIDs          sync.Map // function id → struct{}
	fnIDsMu        sync.Mutex
	fnIDCount      int
}

// runSeries is one series of fnRuns.
type runSeries struct {
	tenant, function string
	status           int
}

// otherFunctions labels the runs of functions past maxFunctionIDs.
const otherFunctions = "_other"

type routeStatus struct {
	route  string
	status int
}

type httpSeries struct {
	total   prometheus.Counter
	seconds prometheus.Observer
}

// Labels stay bounded: tenants are the operator's to create, statuses
// are HTTP statuses, and function ids label runs only when the operator
// asks (Config.MetricsFunctionIDs), and then only so many of them: a
// label per function would let tenants grow the series without bound by
// deploying. Per-function figures are in the run records.
func newMetrics(cfg Config, inFlight func() int) *metrics {
	reg := prometheus.NewRegistry()
	m := &metrics{
		registry:       reg,
		maxFunctionIDs: cfg.MetricsFunctionIDs,
		runs:           map[runSeries]prometheus.Counter{},
		fnRuns: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scriptforge_function_invocations_total",
			Help: "Function runs (invocations, voice webhooks, routing steps) by tenant, HTTP status and, if enabled (--metrics-function-ids), function id.",
		}, []string{"tenant", "function", "status"}),
		authFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scriptforge_auth_failures_total",
			Help: "Requests refused by authentication (unauthenticated: 401) or authorization (forbidden: 403), by the gateway (not by a function).",
		}, []string{"reason"}),
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
		sseStreams: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "scriptforge_sse_runs_total",
			Help: "Runs asked for as event streams, by answer: whole (ended within --sse-coalesce, one write) or events (written as they came).",
		}, []string{"answer"}),
	}
	m.invocationsOK = m.invocations.WithLabelValues("ok")
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scriptforge_runs_in_flight",
		Help: "Runs in progress on this gateway (invocations, voice webhooks, routing chains)."},
		func() float64 { return float64(inFlight()) }))
	reg.MustRegister(m.httpTotal, m.httpSeconds, m.invocations, m.runSeconds, m.runCPU, m.runsDropped, m.runsSkipped, m.runsPruned, m.refused,
		m.fnRuns, m.authFailed, m.sseClients, m.sseStreams,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counterFunc := func(f func() uint64, name, help string) {
		if f != nil {
			reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
				func() float64 { return float64(f()) }))
		}
	}
	counterFunc(cfg.SandboxRestarts, "scriptforge_sandbox_restarts_total", "Sandbox processes started again after dying.")
	if s := cfg.SharedLimits; s != nil {
		reg.MustRegister(
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "scriptforge_ratelimit_fallback_total",
				Help: "Times the limits shared through Redis fell back to this gateway's own share, Redis being unreachable."},
				func() float64 { return float64(s.Fallbacks()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scriptforge_ratelimit_shared",
				Help: "1 while limits are decided in Redis for all gateways, 0 while this gateway decides alone on its share."},
				func() float64 {
					if s.Shared() {
						return 1
					}
					return 0
				}),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "scriptforge_ratelimit_gateways",
				Help: "Gateways sharing the limits, as last seen in Redis; a fallen-back gateway's share is its limits divided by this."},
				func() float64 { return float64(s.Gateways()) }),
		)
	}
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
	if cfg.EngineStats != nil {
		reg.MustRegister(engineCollector{cfg.EngineStats})
	}
	if bus := cfg.Bus; bus != nil {
		gauge := func(name, help string, f func(cluster.Stats) bool) {
			reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 {
				if f(bus.Stats()) {
					return 1
				}
				return 0
			}))
		}
		gauge("scriptforge_cluster_leader", "1 while this gateway is the cluster's leader (it runs the schedules).",
			func(s cluster.Stats) bool { return s.Leader })
		gauge("scriptforge_cluster_connected", "1 while this gateway listens on the cluster's bus.",
			func(s cluster.Stats) bool { return s.Connected })
		counterFunc(func() uint64 { return bus.Stats().Purges }, "scriptforge_cluster_cache_purges_total",
			"Times every cache was dropped because a change from another gateway may have been missed (a lost notification, a reconnect).")
		counterFunc(func() uint64 { return bus.Stats().LogsDropped }, "scriptforge_cluster_log_lines_dropped_total",
			"Log lines not sent to other gateways' followers because the bus's queue was full.")
		counterFunc(func() uint64 { return bus.Stats().PublishFails }, "scriptforge_cluster_publish_failures_total",
			"Messages the bus failed to send (invalidations are retried).")
	}
	return m
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

// countRun counts one run of function fn of tenant, answered with status.
// Series are resolved once, as observeHTTP's are: the ids come from
// deployed functions, not from fasthttp's buffers.
func (m *metrics) countRun(tenant, fn string, status int) {
	key := runSeries{tenant, m.functionLabel(fn), status}
	m.runsMu.RLock()
	c, ok := m.runs[key]
	m.runsMu.RUnlock()
	if !ok {
		c = m.fnRuns.WithLabelValues(key.tenant, key.function, strconv.Itoa(status))
		m.runsMu.Lock()
		m.runs[key] = c
		m.runsMu.Unlock()
	}
	c.Inc()
}

// functionLabel is fn's value of the function label: "" when ids are
// not labelled, otherFunctions once maxFunctionIDs are taken.
func (m *metrics) functionLabel(fn string) string {
	if m.maxFunctionIDs <= 0 {
		return ""
	}
	if _, ok := m.fnIDs.Load(fn); ok {
		return fn
	}
	m.fnIDsMu.Lock()
	defer m.fnIDsMu.Unlock()
	if _, ok := m.fnIDs.Load(fn); ok {
		return fn
	}
	if m.fnIDCount >= m.maxFunctionIDs {
		return otherFunctions
	}
	m.fnIDs.Store(fn, struct{}{})
	m.fnIDCount++
	return fn
}
