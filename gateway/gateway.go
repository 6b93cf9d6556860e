// Package gateway is the HTTP face of ScriptForge: the fiber app, its
// middleware order, the admin API and function invocation. It wires the
// other packages together; none of them imports it.
package gateway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/contract"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/logstream"
	"github.com/scriptforge/scriptforge/functions/queue"
	"github.com/scriptforge/scriptforge/functions/routing"
	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/functions/voice"
	"github.com/scriptforge/scriptforge/functions/workers"
	"github.com/scriptforge/scriptforge/internal/reuse"
	"github.com/scriptforge/scriptforge/openapi"
	"github.com/scriptforge/scriptforge/openapi/docs"
	"github.com/scriptforge/scriptforge/ratelimit"
	"github.com/scriptforge/scriptforge/tracing"
	"github.com/scriptforge/scriptforge/web"
)

// Config is everything the gateway needs. Zero values take the defaults noted.
type Config struct {
	Store    functions.Store    // required
	Keys     auth.KeyStore      // required
	Tenants  auth.TenantStore   // required
	Executor functions.Executor // required
	// Routing keeps routing assignments. Default: Store, when it keeps
	// them too (the SQLite store does); nil answers the routing API 501.
	Routing routing.Store
	Logger  *slog.Logger // default: discard
	// LogOKInvocations logs the access line of every invocation answered
	// below 400 at info; by default it is at debug (failed invocations,
	// and every other request, are at info, 5xx at warn).
	LogOKInvocations bool
	// AdminKey is SCRIPTFORGE_ADMIN_KEY; "" means stored keys only.
	AdminKey string
	// PublicURL is the base of the function URLs the API returns, e.g.
	// https://fn.example.com. Default: the scheme and host of each request.
	PublicURL string
	// MaxBodyBytes caps an invocation body. Default 1 MiB.
	MaxBodyBytes int
	// MaxHeaderBytes caps the request line and headers (431 past it). Default 16 KiB.
	MaxHeaderBytes int
	// MaxJSONDepth caps the nesting of a JSON body (400 past it). Default 64.
	MaxJSONDepth int
	// ReadTimeout bounds reading one request, headers and body, so a slow
	// client (slowloris) cannot hold a connection; IdleTimeout bounds a
	// kept-alive connection between requests. Defaults 30 s and 2 min.
	// Writes get the longest run time plus WriteGrace (default 30 s).
	ReadTimeout, IdleTimeout, WriteGrace time.Duration
	// Limits bound per-function timeout and memory. Defaults 2 s / 30 s, 128 / 1024 MB.
	Limits functions.Limits
	// RunRetention is how long run records (logs) are kept, and
	// RunMaxPerTenant how many of each tenant's, for tenants that set no
	// runs_retention of their own. Defaults 72 h and 100,000.
	RunRetention    time.Duration
	RunMaxPerTenant int
	// RunPruneInterval is how often records beyond the retention are
	// deleted, in the background. Default 10 min.
	RunPruneInterval time.Duration
	// QuietRunRecords is how many run records per second each function
	// keeps of its quiet runs: answered below 400 without console output.
	// Runs that failed or logged are always kept. Default 50; negative:
	// keep every run.
	QuietRunRecords float64
	// EngineStats exposes the engines' figures on /metrics, if set:
	// program cache, warm runtimes, fetch outcomes, heap-limit trips. In
	// process, the engine's (Engine.Stats); with sandboxes, theirs added
	// up (sandbox.Pool.EngineStats).
	EngineStats func() engine.Stats
	// NoDisconnectWatch turns off watching a run's client connection
	// (disconnect.go): a client that goes away no longer cancels its run
	// (DELETE still does). For measuring the watch, or behind a proxy
	// that keeps the upstream connection open when its client leaves.
	NoDisconnectWatch bool
	// MetricsFunctionIDs is how many function ids, at most, label
	// scriptforge_function_invocations_total (the first ones called;
	// later ones count as function="_other"). Default 0: the series has
	// tenants and statuses only. Each id is a series per status.
	MetricsFunctionIDs int
	// SandboxRestarts exposes sandbox-process restarts on /metrics, if set.
	SandboxRestarts func() uint64
	// Workers controls Worker functions (stop, start, status); nil when
	// the executor runs none.
	Workers WorkerControl
	// Quarantine is the sandbox pool's quarantine of functions that keep
	// killing their sandbox; nil when functions run in process (no pool,
	// no quarantine).
	Quarantine QuarantineControl
	// Usage are the fair-usage limits of tenants that set none. Zero:
	// no limits (and a queue of 100 waiting up to 2 s).
	Usage UsageDefaults
	// Limiter holds the token buckets. Default: in this process, in two
	// LRUs (client IPs; tenants and functions) of RateLimitKeys keys each
	// (default 100,000).
	Limiter       ratelimit.Limiter
	RateLimitKeys int
	// IPLimiter, if set with Limiter, holds the client IPs' buckets apart
	// from the tenants' and functions'. Default: Limiter.
	IPLimiter ratelimit.Limiter
	// Concurrency holds the concurrency caps. Default: in this process.
	Concurrency ratelimit.ConcurrencyLimiter
	// SharedLimits, when limits are shared between gateways, says on
	// /metrics whether they are now and how often they fell back.
	SharedLimits SharedLimits
	// ClientIPHeader (e.g. Fly-Client-IP, X-Forwarded-For) names the client
	// address, believed only from TrustedProxies. Default: the peer address.
	ClientIPHeader string
	TrustedProxies ratelimit.TrustedProxies
	// Fires reads the outcomes of scheduled functions' slots: the latest
	// on GET /v1/functions/{id}, a list on GET /v1/functions/{id}/fires.
	// Nil: neither is shown (the list is 404).
	Fires FireReader
	// Queue keeps async runs (Prefer: respond-async on a POST); nil: the
	// preference is ignored and every call runs synchronously.
	Queue queue.Queue
	// Async configures the queue's bounds, attempts and workers.
	Async AsyncConfig
	// CallbackAllowPrivate lists private networks async callbacks may
	// reach anyway, as fetch's FetchConfig.AllowPrivate (serve passes
	// --fetch-allow); everything else not public is refused when dialled.
	CallbackAllowPrivate []netip.Prefix
	// CallState keeps voice calls' state (ctx.call.state). Default: the
	// Store, if it keeps call state too; without one, voice webhooks
	// answer 503.
	CallState voice.StateStore
	// SchemaBudget bounds each validation against a function's input or
	// output schema. Default: a million schema evaluations or 100 ms.
	SchemaBudget contract.Budget
	// Tracer takes and answers W3C trace context on the calls that run
	// functions and exports their spans, if it was built with an
	// endpoint. Default: propagation only. The caller shuts it down,
	// after the gateway.
	Tracer *tracing.Tracer
	// SSEKeepAlive is how often a quiet event stream (a streamed run, a
	// log follower) gets a keep-alive comment. Default 15 s.
	SSEKeepAlive time.Duration
	// SSECoalesce is how long a streamed run may take and still be
	// answered as one body (header, lines and result in one write); a
	// longer one gets its header when it passes, then its lines as they
	// are printed. Default 10 ms; negative: the header goes out at once.
	SSECoalesce time.Duration
	// SSEBuffer is how many console lines a streamed run may have waiting
	// for a slow client before more are dropped (and counted). Default 256.
	SSEBuffer int
	// FollowBuffer is the same for each follower of a function's logs.
	// Default 1024.
	FollowBuffer int
	// Bus joins this gateway to others on one database (package
	// cluster): admin writes invalidate every gateway's caches, log
	// followers see every gateway's runs, DELETE /v1/runs/{id} reaches
	// the gateway running the run. Nil: a single gateway. The caller
	// closes it, after Shutdown.
	Bus *cluster.Bus
	// JWKSClient fetches tenants' JWK Sets. Default: auth.PublicClient,
	// which reaches public addresses only (tenants choose the URLs).
	JWKSClient *http.Client
}

// WorkerControl is the admin side of Worker functions.
type WorkerControl interface {
	Stop(id string)
	Start(id string)
	Forget(id string)
	Status(id string) workers.Status
}

// QuarantineControl is the admin side of the sandbox pool's quarantine.
type QuarantineControl interface {
	Quarantined(functionID string) (sandbox.Quarantine, bool)
	Lift(functionID string) bool
	QuarantineStats() sandbox.QuarantineStats
	// Impose and OnQuarantine spread quarantines over a cluster: each
	// gateway's pool decides its own, and the others take them on.
	Impose(functionID string, q sandbox.Quarantine)
	OnQuarantine(func(functionID string, q sandbox.Quarantine))
}

var _ QuarantineControl = (*sandbox.Pool)(nil)

// maxAdminBody bounds an admin request: a deploy carries the source as a
// JSON string, which escaping can make larger than the source itself.
const maxAdminBody = 3 * engine.MaxSourceBytes

// Gateway serves the API. Create it with New, run it with Serve, stop it
// with Shutdown.
type Gateway struct {
	cfg     Config
	log     *slog.Logger
	app     *fiber.App
	auth    *auth.Authenticator
	lookups *lookupCache
	tenants *tenantCache
	admit   *admission
	tokens  *auth.TokenCache
	runs    *runRecorder
	pruner  *runPruner
	metrics *metrics
	tracer  *tracing.Tracer
	// callLocks serialises the webhooks of one voice call.
	callLocks voice.Locks
	// routingCache is nil when the store keeps no routing assignments.
	routingCache *routingCache
	// contracts keeps functions' compiled input and output schemas.
	contracts *contractCache
	// flights are the runs in progress, for DELETE /v1/runs/{id}.
	flights *flights
	// late counts run records still to come of routing chains answered
	// at their deadline: Shutdown waits for them.
	late sync.WaitGroup
	// logs fans functions' console lines out to their followers.
	logs *logstream.Hub
	// closing is closed when Shutdown begins: log followers end then,
	// instead of holding the shutdown until its deadline.
	closing     chan struct{}
	closingOnce sync.Once
	// streamRunners run streamed calls' runs.
	streamRunners *reuse.Runners[func()]
	// async wakes and tracks the queue's workers (async.go).
	async *asyncWorkers
	// workerOps are Worker stops and starts from other gateways, applied
	// in order off the bus's goroutine (cluster.go).
	workerOps chan func()
}

// New builds the gateway; it starts only the run-record writer and pruner.
func New(cfg Config) (*Gateway, error) {
	if cfg.Store == nil || cfg.Keys == nil || cfg.Tenants == nil || cfg.Executor == nil {
		return nil, errors.New("gateway: Store, Keys, Tenants and Executor are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if rs, ok := cfg.Store.(routing.Store); ok && cfg.Routing == nil {
		cfg.Routing = rs
	}
	cfg.MaxBodyBytes = orDefault(cfg.MaxBodyBytes, 1<<20)
	cfg.MaxHeaderBytes = orDefault(cfg.MaxHeaderBytes, 16<<10)
	cfg.MaxJSONDepth = orDefault(cfg.MaxJSONDepth, 64)
	cfg.ReadTimeout = cmp.Or(cfg.ReadTimeout, 30*time.Second)
	cfg.IdleTimeout = cmp.Or(cfg.IdleTimeout, 2*time.Minute)
	cfg.WriteGrace = cmp.Or(cfg.WriteGrace, 30*time.Second)
	l := &cfg.Limits
	l.DefaultTimeoutMS = orDefault(l.DefaultTimeoutMS, 2000)
	l.MaxTimeoutMS = orDefault(l.MaxTimeoutMS, 30000)
	l.DefaultMemoryMB = orDefault(l.DefaultMemoryMB, 128)
	l.MaxMemoryMB = orDefault(l.MaxMemoryMB, 1024)
	if cfg.JWKSClient == nil {
		cfg.JWKSClient = auth.PublicClient(30 * time.Second)
	}
	if cfg.CallState == nil {
		cfg.CallState, _ = cfg.Store.(voice.StateStore)
	}
	if cfg.Tracer == nil {
		cfg.Tracer, _ = tracing.New(tracing.Config{}) // no endpoint: cannot fail
	}
	if cfg.RunRetention <= 0 {
		cfg.RunRetention = 72 * time.Hour
	}
	cfg.RunMaxPerTenant = orDefault(cfg.RunMaxPerTenant, 100_000)
	cfg.RunPruneInterval = cmp.Or(cfg.RunPruneInterval, 10*time.Minute)
	cfg.SSEKeepAlive = cmp.Or(cfg.SSEKeepAlive, 15*time.Second)
	cfg.SSEBuffer = orDefault(cfg.SSEBuffer, 256)
	cfg.SSECoalesce = cmp.Or(cfg.SSECoalesce, 10*time.Millisecond)
	cfg.FollowBuffer = orDefault(cfg.FollowBuffer, logstream.DefaultBuffer)
	cfg.Async.setDefaults()
	if maxRun := time.Duration(l.MaxTimeoutMS) * time.Millisecond; cfg.Async.Lease > 0 && cfg.Async.Lease <= maxRun {
		return nil, fmt.Errorf("gateway: the async lease (%v) must outlast the longest run (%v)", cfg.Async.Lease, maxRun)
	}
	g := &Gateway{
		cfg:     cfg,
		log:     cfg.Logger,
		auth:    auth.NewAuthenticator(cfg.Keys, cfg.AdminKey),
		lookups: newLookupCache(cfg.Store, 10000, 30*time.Second),
		tenants: newTenantCache(cfg.Tenants, 10000, 30*time.Second),
		flights: newFlights(),
		// 4 MiB of schema text: about 160 MB compiled, per copy in use.
		contracts:     newContractCache(10000, 4<<20, cfg.SchemaBudget),
		tracer:        cfg.Tracer,
		logs:          logstream.New(),
		streamRunners: reuse.NewRunners(func(job func()) { job() }),
		async:         &asyncWorkers{wake: make(chan struct{}, 1), callbacks: make(chan struct{}, 1), held: map[string]int{}},
		closing:       make(chan struct{}),
	}
	g.metrics = newMetrics(cfg, g.flights.count)
	if cfg.Routing != nil {
		g.routingCache = newRoutingCache(cfg.Routing, cfg.Store, 10000, 5*time.Second)
	}
	if cfg.QuietRunRecords == 0 {
		cfg.QuietRunRecords = 50
	}
	// A minute bounds how long a key dropped from a tenant's JWK Set still
	// admits the tokens it signed (the set is fetched hourly anyway).
	g.tokens, _ = auth.NewTokenCache(10_000, time.Minute) // valid arguments
	g.runs = newRunRecorder(cfg.Store, cfg.Logger, cfg.QuietRunRecords, g.metrics.runsDropped.Inc, g.metrics.runsSkipped.Inc)
	if err := g.setupAdmission(); err != nil {
		return nil, err
	}
	g.pruner = &runPruner{store: cfg.Store, tenants: cfg.Tenants, log: cfg.Logger, every: cfg.RunPruneInterval,
		defaults: auth.RunsRetention{MaxCount: cfg.RunMaxPerTenant, MaxAge: auth.Duration(cfg.RunRetention)},
		pruned:   func(n int64) { g.metrics.runsPruned.Add(float64(n)) }}
	g.pruner.start()
	g.app = fiber.New(fiber.Config{
		AppName:               "scriptforge",
		DisableStartupMessage: true,
		ErrorHandler:          g.errorHandler,
		BodyLimit:             max(cfg.MaxBodyBytes, maxAdminBody),
		ReadBufferSize:        cfg.MaxHeaderBytes, // the request line plus headers
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          time.Duration(l.MaxTimeoutMS)*time.Millisecond + cfg.WriteGrace,
		IdleTimeout:           cfg.IdleTimeout,
	})
	// fasthttp would parse every multipart body as it reads it (and keep
	// large files in temporary files on the host's disk); an invocation's
	// form is parsed by requestData, within its limits, and nothing else
	// reads one.
	g.app.Server().DisablePreParseMultipartForm = true
	g.routes()
	g.attachBus()
	return g, nil
}

func (g *Gateway) setupAdmission() error {
	cfg := &g.cfg
	cfg.RateLimitKeys = orDefault(cfg.RateLimitKeys, 100_000)
	limiter, ipLimiter := cfg.Limiter, cfg.IPLimiter
	if ipLimiter == nil {
		ipLimiter = cfg.Limiter
	}
	if cfg.Limiter == nil {
		// Client IPs get buckets of their own: in a shared LRU a flood of
		// addresses would evict tenants' buckets, which start again full.
		var err error
		if limiter, err = ratelimit.NewLocal(cfg.RateLimitKeys); err != nil {
			return err
		}
		if ipLimiter, err = ratelimit.NewLocal(cfg.RateLimitKeys); err != nil {
			return err
		}
	}
	conc := cfg.Concurrency
	if conc == nil {
		local, err := ratelimit.NewConcurrency(cfg.RateLimitKeys)
		if err != nil {
			return err
		}
		conc = local
	}
	u := &cfg.Usage
	u.Queue = orDefault(u.Queue, 100)
	u.QueueWait = cmp.Or(u.QueueWait, 2*time.Second)
	u.CPUBurst = cmp.Or(u.CPUBurst, 10*time.Second)
	if err := u.validateCPU(); err != nil {
		return err
	}
	g.admit = &admission{limiter: limiter, ipLimiter: ipLimiter, concurrency: conc, defaults: *u,
		proxies: cfg.TrustedProxies, ipHeader: cfg.ClientIPHeader,
		refused: func(policy string) { g.metrics.refused.WithLabelValues(policy).Inc() }}
	if ra, ok := limiter.(ratelimit.RunAdmitter); ok && ra.Admits(conc) {
		g.admit.shared = ra
	}
	return nil
}

func orDefault(v, d int) int {
	if v <= 0 {
		return d
	}
	return v
}

// routes is the whole request pipeline in one place: middleware first, in
// order, then each route with the scope it needs.
func (g *Gateway) routes() {
	app := g.app
	app.Use(g.observe)                                            // request id, trace context, access log, metrics
	app.Use(recover.New(recover.Config{EnableStackTrace: false})) // a handler panic is a 500, not a crash

	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	app.Get("/readyz", g.ready)
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(g.metrics.registry, promhttp.HandlerOpts{})))
	app.Get("/openapi.json", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(openapi.Spec())
	})
	reference := servePage(docs.Site, "reference page") // rendered from /openapi.json
	app.Get("/docs", reference)
	app.Get("/docs/:asset", reference)
	ide := servePage(web.Site, "IDE") // the browser IDE, a client of the admin API below
	app.Get("/", ide)
	app.Get("/ide/:asset", ide)

	// A function's own OpenAPI document, for whoever may invoke it. Before
	// the invocation routes: "openapi.json" is no valid export name.
	app.Get("/v1/fn/:uuid/openapi.json", g.functionOpenAPI)
	// Invocation: the UUID is the address; auth per function comes later.
	for _, m := range []string{fiber.MethodGet, fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete} {
		app.Add(m, "/v1/fn/:uuid", g.invoke)
		app.Add(m, "/v1/fn/:uuid/:export", g.invoke)
	}

	// Voice webhooks: a platform's call events; the signature, if the
	// function has a secret, is checked in the handler.
	app.Post("/v1/voice/:uuid", g.voiceWebhook)

	// Admin API. GET /v1/key says what the caller's key may do, so a
	// client (the IDE) can say what is missing before a call fails.
	app.Get("/v1/key", g.requireScope(""), g.currentKey)
	read, write := g.requireScope(auth.ScopeFunctionsRead), g.requireScope(auth.ScopeFunctionsWrite)
	fn := app.Group("/v1/functions", g.forgetRoutingOnWrite)
	fn.Post("/", write, g.createFunction)
	fn.Get("/", read, g.listFunctions)
	fn.Get("/:id", read, g.getFunction)
	fn.Put("/:id", write, g.updateFunction)
	fn.Delete("/:id", write, g.deleteFunction)
	fn.Get("/:id/versions", read, g.listVersions)
	fn.Get("/:id/versions/:version", read, g.getVersion)
	fn.Post("/:id/rollback", write, g.rollback)
	fn.Post("/:id/rotate-uuid", write, g.rotateUUID)
	fn.Get("/:id/runs", read, g.listRuns)
	fn.Get("/:id/fires", read, g.listFires)   // the schedule's slots and their outcomes (schedule.go)
	fn.Get("/:id/logs", read, g.functionLogs) // ?follow=1: an event stream (logs.go)
	fn.Get("/:id/worker", read, g.workerAction(nil, ""))
	fn.Post("/:id/stop", write, g.workerAction(WorkerControl.Stop, cluster.WorkerStopped))
	fn.Post("/:id/start", write, g.workerAction(WorkerControl.Start, cluster.WorkerStarted))
	fn.Delete("/:id/quarantine", g.requireScope(auth.ScopeAdmin), g.liftQuarantine)
	app.Get("/v1/runs", read, g.listTenantRuns)
	app.Get("/v1/runs/:requestId", read, g.getRun)
	app.Delete("/v1/runs/:requestId", write, g.cancelRun)          // stops a run in progress (cancel.go)
	app.Post("/v1/callback-secret", write, g.rotateCallbackSecret) // signs async callbacks (callbacks.go)
	// Async runs whose attempts are spent (deadletters.go).
	app.Get("/v1/dead-letters", read, g.listDead)
	app.Post("/v1/dead-letters/redrive", write, g.redrive) // all of the tenant's
	app.Post("/v1/dead-letters/:requestId/redrive", write, g.redrive)
	app.Delete("/v1/dead-letters/:requestId", write, g.discardDead)

	// Class 4 routing: assignments are admin data; POST runs the chain,
	// for a softswitch's key with routing:invoke (see routing_chain.go).
	for _, segment := range []string{"customers", "dids"} {
		kind, base := routingKind(segment), "/v1/routing/"+segment
		app.Get(base, read, g.listAssignments(kind))
		app.Get(base+"/:"+string(kind), read, g.getAssignment(kind))
		app.Put(base+"/:"+string(kind), write, g.putAssignment(kind))
		app.Delete(base+"/:"+string(kind), write, g.deleteAssignment(kind))
		app.Post(base+"/:"+string(kind), g.routeCall(kind)) // its own auth: routing:invoke or a JWT
	}

	// Tenants and their keys: each handler checks who may act (see tenants.go).
	admin := g.requireScope(auth.ScopeAdmin)
	tn := app.Group("/v1/tenants", admin)
	tn.Post("/", g.createTenant)
	tn.Get("/", g.listTenants)
	tn.Get("/:tenant", g.getTenant)
	tn.Patch("/:tenant", g.updateTenant)
	tn.Post("/:tenant/keys", g.createKey)
	tn.Get("/:tenant/keys", g.listKeys)
	tn.Delete("/:tenant/keys/:key", g.revokeKey)

	app.Use(func(c *fiber.Ctx) error {
		return apiError(http.StatusNotFound, "not_found", "no route for %s %s", c.Method(), c.Path())
	})
}

func (g *Gateway) ready(c *fiber.Ctx) error {
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := g.cfg.Store.Ping(ctx); err != nil {
		return apiError(http.StatusServiceUnavailable, "not_ready", "store unreachable: %v", err)
	}
	if g.cfg.Bus != nil {
		// Shown, not required: a gateway whose bus is reconnecting still
		// serves, its caches bounded by their TTLs, and drops them all
		// once it is back.
		return c.JSON(fiber.Map{"status": "ready", "cluster": g.cfg.Bus.Stats()})
	}
	return c.JSON(fiber.Map{"status": "ready"})
}

// Serve accepts connections on ln until Shutdown.
func (g *Gateway) Serve(ln net.Listener) error {
	return g.app.Listener(ln)
}

// Shutdown stops accepting requests, lets in-flight ones (and their runs)
// finish until ctx ends, then flushes the run records.
func (g *Gateway) Shutdown(ctx context.Context) error {
	g.closingOnce.Do(func() { close(g.closing) })
	err := g.app.ShutdownWithContext(ctx)
	if g.cfg.Bus != nil {
		// Runs in flight could be cancelled from elsewhere until now; the
		// bus may outlive the gateway, and asks nothing more of it.
		g.cfg.Bus.SetHandlers(cluster.Handlers{})
	}
	g.pruner.close()
	lateDone := make(chan struct{})
	go func() { g.late.Wait(); close(lateDone) }()
	select {
	case <-lateDone:
	case <-ctx.Done(): // what comes later is dropped
	}
	g.runs.close()
	return err
}

// Route is one operation the gateway serves, with the path in OpenAPI
// form (/v1/functions/{id}).
type Route struct{ Method, Path string }

// Routes lists the operations the gateway serves, for checks against its
// OpenAPI document. Middleware and the catch-all are left out.
func (g *Gateway) Routes() []Route {
	var out []Route
	for _, r := range g.app.GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == "USE" || strings.HasSuffix(r.Path, "*") {
			continue
		}
		if r.Path == "/" { // the IDE's page
			out = append(out, Route{Method: r.Method, Path: "/"})
			continue
		}
		parts := strings.Split(strings.TrimSuffix(r.Path, "/"), "/")
		for i, p := range parts {
			if name, ok := strings.CutPrefix(p, ":"); ok {
				parts[i] = "{" + name + "}"
			}
		}
		out = append(out, Route{Method: r.Method, Path: strings.Join(parts, "/")})
	}
	return out
}

// Test lets tests drive the app without a listener.
func (g *Gateway) Test(req *http.Request) (*http.Response, error) {
	return g.app.Test(req, -1)
}
