package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"go.opentelemetry.io/otel"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/cache"
	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/postgres"
	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/functions/sqlite"
	"github.com/scriptforge/scriptforge/functions/voice"
	"github.com/scriptforge/scriptforge/functions/workers"
	"github.com/scriptforge/scriptforge/gateway"
	"github.com/scriptforge/scriptforge/ratelimit"
	"github.com/scriptforge/scriptforge/tracing"
)

type serveOptions struct {
	addr           string
	pprofAddr      string
	dataDir        string
	databaseURL    string
	publicURL      string
	maxBody        int
	maxHeader      int
	kvQuota        functions.KVQuota
	fetch          engine.FetchConfig // from fetchFlags
	fetchFlags     fetchFlags
	usage          gateway.UsageDefaults
	clientIPHeader string
	trustedProxies []string
	rateLimitKeys  int
	redisURL       string
	redisPrefix    string
	maxJSONDepth   int
	readTimeout    time.Duration
	idleTimeout    time.Duration
	defaultTimeout time.Duration
	maxTimeout     time.Duration
	defaultMemory  int
	maxMemory      int
	cacheBytes     int64
	runRetention   ageFlag
	runsPerTenant  int
	runsPruneEvery time.Duration
	quietRuns      float64
	metricsFnIDs   int
	watchConns     bool
	sseCoalesce    time.Duration
	logOKRuns      bool
	logFormat      string
	logLevel       string
	shutdownGrace  time.Duration
	schedules      bool
	async          gateway.AsyncConfig
	gcPercent      int
	maxHeap        uint64
	isolation      string
	cgroups        bool
	sandboxes      int
	sandboxMemory  int
	quarantineSbx  int
	otlpEndpoint   string
	clusterURL     string
	clusterPrefix  string
	// Profiling the sandboxes (hidden flags, for engineers).
	sandboxProfileDir string
	sandboxProfileFor time.Duration
}

func newServeCmd() *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the gateway (embedded SQLite store by default, or PostgreSQL)",
		Long: `Run the gateway. With no flags it listens on :8080 and keeps everything in
one SQLite file under ./data: nothing else to install.

With --database-url postgres://… (or DATABASE_URL) it keeps everything in
PostgreSQL instead, so that several gateways can share one database; it
migrates the schema at start, once however many gateways start together.

On first start, unless SCRIPTFORGE_ADMIN_KEY is set, it creates an admin API
key and prints it once: keep it, only its hash is stored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.fetch, err = o.fetchFlags.parse(); err != nil {
				return err
			}
			if o.databaseURL == "" {
				o.databaseURL = os.Getenv("DATABASE_URL")
			}
			o.clusterURL = clusterURL(o.clusterURL, o.databaseURL)
			return serve(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", envOr("SCRIPTFORGE_ADDR", ":8080"), "address to listen on (env SCRIPTFORGE_ADDR)")
	f.StringVar(&o.pprofAddr, "pprof-addr", "", "serve Go's profiler (/debug/pprof/) on this loopback address, e.g. 127.0.0.1:6060 (default: off)")
	f.StringVar(&o.sandboxProfileDir, "sandbox-cpuprofile", "", "with --isolation=process, each sandbox writes a CPU profile into this directory (sandbox-<slot>-<time>.pprof), of its first --sandbox-cpuprofile-for")
	f.DurationVar(&o.sandboxProfileFor, "sandbox-cpuprofile-for", 30*time.Second, "how long each sandbox's CPU profile runs")
	_ = f.MarkHidden("sandbox-cpuprofile")
	_ = f.MarkHidden("sandbox-cpuprofile-for")
	f.StringVar(&o.dataDir, "data-dir", envOr("SCRIPTFORGE_DATA_DIR", "./data"), "directory of the SQLite store (env SCRIPTFORGE_DATA_DIR); unused with --database-url")
	// Not the variable as the default: --help would print its password.
	f.StringVar(&o.databaseURL, "database-url", "", "keep everything in PostgreSQL at this URL, e.g. postgres://user:password@host:5432/db, instead of SQLite in --data-dir (env DATABASE_URL)")
	f.StringVar(&o.publicURL, "public-url", os.Getenv("SCRIPTFORGE_PUBLIC_URL"), "base URL of function links and of the URL voice webhook signatures are checked against, e.g. https://fn.example.com (default: from each request)")
	f.IntVar(&o.maxBody, "max-body", 1<<20, "largest invocation body in bytes")
	f.Float64Var(&o.usage.TenantRate, "tenant-rate", 1000, "invocations per second per tenant, unless the tenant has its own limit (0: unlimited)")
	f.IntVar(&o.usage.TenantBurst, "tenant-burst", 2000, "invocations a tenant may send at once above its rate")
	f.IntVar(&o.usage.TenantConcurrency, "tenant-concurrency", 64, "runs in progress per tenant, unless the tenant has its own cap (0: unlimited)")
	// One core's worth: on a shared gateway one tenant's heavy functions
	// cannot hold more than a core for longer than the burst, and at the
	// default --tenant-rate only runs averaging over 1 ms of CPU reach it.
	f.Float64Var(&o.usage.TenantCPUMS, "tenant-cpu-ms", 1000, "CPU budget per tenant in milliseconds of run CPU time per second, unless the tenant has its own (1000: one core; 0: none)")
	f.DurationVar(&o.usage.CPUBurst, "tenant-cpu-burst", 10*time.Second, "how much CPU a tenant may use at once, as time at its CPU budget's rate (10s at 1000 ms/s: 10,000 ms)")
	f.Float64Var(&o.usage.IPRate, "ip-rate", 0, "invocations per second per client IP and tenant (0: unlimited; set it for internet-facing gateways)")
	f.IntVar(&o.usage.IPBurst, "ip-burst", 0, "invocations a client IP may send at once above --ip-rate (default: one second's worth)")
	f.IntVar(&o.usage.Queue, "queue", 100, "runs that may wait for a concurrency slot, per tenant and per function, before 429")
	f.DurationVar(&o.usage.QueueWait, "queue-wait", 2*time.Second, "how long a run may wait for a concurrency slot")
	f.StringVar(&o.clientIPHeader, "client-ip-header", "", "header that carries the client address from a trusted proxy, e.g. Fly-Client-IP or X-Forwarded-For")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxies", nil, "addresses or CIDRs of the proxies whose --client-ip-header is believed (comma-separated)")
	f.StringVar(&o.redisURL, "redis-url", os.Getenv("REDIS_URL"), "share rate limits, CPU budgets and concurrency caps with the other gateways on this Redis, e.g. redis://host:6379/0 (env REDIS_URL); while it is unreachable each gateway limits alone, to its share: every limit divided by the gateways last seen (default: limits are this gateway's own)")
	f.StringVar(&o.redisPrefix, "redis-prefix", "scriptforge:", "prefix of the keys kept in --redis-url's Redis (gateways that share limits use the same one)")
	f.IntVar(&o.rateLimitKeys, "rate-limit-keys", 100_000, "token buckets kept in memory (an LRU: the least recently seen client IPs are forgotten first)")
	o.fetchFlags.register(f)
	f.IntVar(&o.kvQuota.MaxKeys, "kv-max-keys", 10_000, "keys a tenant may keep in the kv store")
	f.Int64Var(&o.kvQuota.MaxBytes, "kv-max-bytes", 50<<20, "bytes (keys and values) a tenant may keep in the kv store")
	f.IntVar(&o.maxHeader, "max-header-bytes", 16<<10, "largest request line plus headers in bytes (431 past it)")
	f.IntVar(&o.maxJSONDepth, "max-json-depth", 64, "deepest nesting of a JSON request body (400 past it)")
	f.DurationVar(&o.readTimeout, "read-timeout", 30*time.Second, "time a client has to send one whole request (stops slow-sending clients)")
	f.DurationVar(&o.idleTimeout, "idle-timeout", 2*time.Minute, "how long a kept-alive connection may sit idle")
	f.DurationVar(&o.defaultTimeout, "default-timeout", 2*time.Second, "a function's time limit unless it sets one")
	f.DurationVar(&o.maxTimeout, "max-timeout", 30*time.Second, "the largest time limit a function may set")
	f.IntVar(&o.defaultMemory, "default-memory", 128, "a function's memory budget in MB unless it sets one")
	f.IntVar(&o.maxMemory, "max-memory", 1024, "the largest memory budget in MB a function may set")
	f.Int64Var(&o.cacheBytes, "cache-bytes", 128<<20, "estimated bytes of compiled programs to keep, per sandbox (a 1 KB function holds about 8 KB)")
	o.runRetention = ageFlag(72 * time.Hour)
	f.Var(&o.runRetention, "runs-max-age", "how long run records and their logs are kept (e.g. 72h, 7d), unless the tenant's runs_retention says otherwise")
	f.Var(&o.runRetention, "run-retention", "")
	_ = f.MarkDeprecated("run-retention", "use --runs-max-age") // the flag exists: no error
	f.IntVar(&o.runsPerTenant, "runs-max-per-tenant", 100_000, "run records kept per tenant, the newest, unless the tenant's runs_retention says otherwise")
	f.DurationVar(&o.runsPruneEvery, "runs-prune-every", 10*time.Minute, "how often run records past their retention are deleted (in the background, in small batches)")
	f.DurationVar(&o.sseCoalesce, "sse-coalesce", 10*time.Millisecond, "a run streamed as server-sent events that ends within this is answered in one write; a longer one gets its header then, and its lines as they are printed (0: stream from the first byte)")
	f.BoolVar(&o.watchConns, "watch-disconnects", true, "cancel a run when its client closes the connection (false: only DELETE /v1/runs/{id} cancels; for a proxy that keeps upstream connections open when its clients leave)")
	f.IntVar(&o.metricsFnIDs, "metrics-function-ids", 0, "label scriptforge_function_invocations_total with the ids of up to this many functions (the first called; later ones are function=\"_other\"); 0: tenants and statuses only")
	f.Float64Var(&o.quietRuns, "quiet-run-records", 50, "run records kept per function per second of its quiet runs (answered below 400, no console output; failed and logging runs are all kept); 0: keep every run")
	f.StringVar(&o.logFormat, "log-format", "json", "log format: json or text")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.BoolVar(&o.logOKRuns, "log-ok-invocations", false, "log the access line of each invocation answered below 400 at info (default: at debug; failed invocations and all other requests are at info)")
	f.DurationVar(&o.shutdownGrace, "shutdown-grace", 30*time.Second, "how long in-flight requests may finish on SIGTERM")
	f.BoolVar(&o.schedules, "schedules", true, "run functions on their schedules (each slot once: it is claimed in the store before it runs); --schedules=false leaves them to another gateway")
	f.IntVar(&o.async.Workers, "async-workers", 0, "async runs (Prefer: respond-async) this gateway runs at once: their share of the sandboxes and of each tenant's concurrency, the rest kept for interactive calls (default: half of --sandboxes, at least 1; negative: run none, only accept)")
	f.Float64Var(&o.async.TenantShare, "async-tenant-share", 0.5, "fraction of a tenant's concurrency cap (--tenant-concurrency or its own) its async runs may hold, at least one run; the rest is kept for its interactive calls")
	f.DurationVar(&o.async.Lease, "async-lease", 0, "how long a worker holds an async run it claimed; a run whose gateway died is taken again after it (default: --max-timeout plus 30s; keep it above --max-timeout)")
	f.IntVar(&o.async.CallbackAttempts, "async-callback-attempts", 5, "POSTs of an async run's outcome to its X-Callback-Url before the run is dead (exponential backoff with jitter between them)")
	f.IntVar(&o.async.MaxTenantDepth, "async-max-tenant-depth", 1000, "async runs a tenant may have queued or running; past it, 429 with Retry-After")
	f.IntVar(&o.async.MaxDepth, "async-max-depth", 10_000, "async runs queued or running on this store, all tenants; past it, 503 with Retry-After")
	f.IntVar(&o.async.MaxAttempts, "async-max-attempts", 3, "attempts of an async run failing with a 5xx before it is dead (exponential backoff with jitter between them)")
	f.IntVar(&o.gcPercent, "gc-percent", 400, "Go GC target (GOGC); ignored when the GOGC variable is set")
	f.StringVar(&o.isolation, "isolation", "process", "where functions run: process (sandbox child processes) or inprocess (trusted code only: fastest, but a bomb that slips past the guards takes the gateway down)")
	f.BoolVar(&o.cgroups, "cgroups", true, "cap each sandbox's memory with a cgroup v2 group of its own where the gateway's cgroup allows it; otherwise, or with --cgroups=false, sandboxes cap themselves with RLIMIT_AS")
	f.IntVar(&o.sandboxes, "sandboxes", runtime.NumCPU(), "number of sandbox processes (with --isolation=process)")
	f.IntVar(&o.sandboxMemory, "sandbox-memory", 1024, "memory cap of each sandbox process in MB")
	f.IntVar(&o.quarantineSbx, "quarantine-sandboxes", 2, "sandbox processes that quarantined functions (those that killed their sandbox twice within ten minutes) may have of their own at once; 0: none, their calls are refused")
	f.StringVar(&o.otlpEndpoint, "otlp-endpoint", "", "export trace spans over OTLP/HTTP to this collector base URL, e.g. http://localhost:4318 (spans go to /v1/traces); default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT if set, else none (traceparent is still taken and answered)")
	f.StringVar(&o.clusterURL, "cluster-url", os.Getenv("SCRIPTFORGE_CLUSTER_URL"), "PostgreSQL URL (postgres://…) through which gateways act as one: admin changes reach every gateway within a second, one gateway (the leader) runs the schedules, log followers and DELETE /v1/runs/{id} reach every gateway (env SCRIPTFORGE_CLUSTER_URL; default: --database-url when it is PostgreSQL, else a single gateway)")
	f.StringVar(&o.clusterPrefix, "cluster-prefix", envOr("SCRIPTFORGE_CLUSTER_PREFIX", "scriptforge"), "names the cluster's channels and leader lock: gateways with the same --cluster-url and prefix form one cluster")
	f.Uint64Var(&o.maxHeap, "max-heap", availableMemory()/2, "heap bytes past which every run in progress is stopped (0: off; default: half the memory)")
	return cmd
}

// clusterURL is where the gateways' bus is: the --cluster-url given, else
// the store's database when it is PostgreSQL (gateways sharing a
// database are one cluster), else none.
func clusterURL(given, database string) string {
	if given != "" {
		return given
	}
	if strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://") {
		return database
	}
	return ""
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func newLogger(format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format must be json or text, not %q", format)
}

func serve(ctx context.Context, o serveOptions) error {
	log, err := newLogger(o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	if o.maxTimeout < o.defaultTimeout || o.maxMemory < o.defaultMemory {
		return errors.New("--max-timeout and --max-memory must not be below their defaults")
	}
	// Every run builds a fresh JavaScript runtime: lots of short-lived
	// garbage over a small live heap. At Go's default GOGC=100 the GC runs
	// so often that it costs as much as the runs (measured: a trivial run
	// takes 76 µs at 100, 38 µs at 400).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(o.gcPercent)
	}
	// Near the heap limit the GC works harder, whatever GOGC says.
	if o.maxHeap > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(o.maxHeap))
	}
	store, where, err := openStore(ctx, o)
	if err != nil {
		return err
	}
	defer store.Close()

	envKey := os.Getenv("SCRIPTFORGE_ADMIN_KEY")
	secret, err := auth.Bootstrap(ctx, store, envKey)
	if err != nil {
		return err
	}
	if secret != "" {
		fmt.Fprintf(os.Stderr, "\nCreated the admin API key (shown once, only its hash is stored):\n\n    %s\n\n"+
			"Use it as 'Authorization: Bearer <key>', or export SCRIPTFORGE_ADMIN_KEY=<key> for the CLI.\n\n", secret)
	}

	host, _ := os.Hostname()
	var (
		executor functions.Executor
		// The engines' figures: in process, the engine's; with sandboxes,
		// what they report, added up.
		engineStats func() engine.Stats
		restarts    func() uint64
		quarantine  gateway.QuarantineControl // process isolation only: in process there is no sandbox to quarantine from
		// Worker functions get long-lived runtimes of their own.
		workerManager *workers.Manager
	)
	switch o.isolation {
	case "process":
		cred, why := sandboxCredential()
		if cred == nil {
			log.Warn("sandboxes run as the gateway's user", slog.String("reason", why))
		}
		sandboxCmd := func(memoryMB int, extra ...string) *exec.Cmd {
			self, err := os.Executable()
			if err != nil {
				self = os.Args[0]
			}
			args := append([]string{"sandbox", "--memory-mb", strconv.Itoa(memoryMB),
				"--cache-bytes", strconv.FormatInt(o.cacheBytes, 10), "--host", host}, fetchArgs(o.fetch)...)
			if o.sandboxProfileDir != "" {
				args = append(args, "--cpuprofile-for", o.sandboxProfileFor.String())
			}
			args = append(args, extra...)
			return exec.Command(self, args...)
		}
		base := sandbox.Config{Logger: log, Credential: cred, KV: store, KVQuota: o.kvQuota}
		if o.cgroups {
			cgs, err := sandbox.OpenCgroups()
			if err != nil {
				log.Info("sandbox memory caps use RLIMIT_AS", slog.String("reason", err.Error()))
			} else {
				log.Info("sandbox memory caps use cgroup v2 memory.max")
				base.Cgroups = cgs
			}
		}
		poolCfg := base
		poolCfg.Size, poolCfg.MemoryMB = o.sandboxes, o.sandboxMemory
		poolCfg.CPUProfileDir = o.sandboxProfileDir
		poolCfg.QuarantineSandboxes = o.quarantineSbx
		if o.quarantineSbx <= 0 {
			poolCfg.QuarantineSandboxes = -1 // the pool's "none"
		}
		poolCfg.Command = func() *exec.Cmd { return sandboxCmd(o.sandboxMemory) }
		pool := sandbox.New(poolCfg)
		if err := pool.Start(); err != nil {
			return err
		}
		defer pool.Close()
		executor, restarts, quarantine, engineStats = pool, pool.Restarts, pool, pool.EngineStats
		workerManager = workers.New(sandbox.WorkerSpawner(base, func(memoryMB int) *exec.Cmd {
			return sandboxCmd(memoryMB, "--worker")
		}))
	case "inprocess":
		programs := cache.New[*engine.Program](o.cacheBytes)
		eng := engine.New(engine.Config{Programs: programs, Host: host, HeapLimit: o.maxHeap,
			KV: engine.LocalKV{Store: store, Quota: o.kvQuota}, Fetch: o.fetch})
		defer eng.Close()
		executor, engineStats = eng, eng.Stats
		workerManager = workers.New(workers.InProcess(eng))
	default:
		return fmt.Errorf("--isolation must be process or inprocess, not %q", o.isolation)
	}
	defer workerManager.Close()
	proxies, err := ratelimit.ParseTrustedProxies(o.trustedProxies)
	if err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	if o.clientIPHeader != "" && len(o.trustedProxies) == 0 {
		log.Warn("--client-ip-header is ignored without --trusted-proxies: the peer address is used")
	}
	quietRuns := o.quietRuns
	if quietRuns <= 0 {
		quietRuns = -1 // the flag's 0 is the gateway's "keep every run"
	}
	tracer, err := newTracer(o.otlpEndpoint, log)
	if err != nil {
		return err
	}
	defer func() {
		// The spans still queued get a few seconds to go; a collector
		// that is down must not hold the exit.
		tctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := tracer.Shutdown(tctx); err != nil {
			log.Warn("tracing: the last spans were not exported", slog.Any("error", err))
		}
	}()
	shared, err := sharedLimits(o, log)
	if err != nil {
		return err
	}
	if shared.cluster != nil {
		defer shared.cluster.Close()
	}
	var bus *cluster.Bus
	if o.clusterURL != "" {
		octx, cancel := context.WithTimeout(ctx, 30*time.Second)
		bus, err = cluster.Open(octx, cluster.Config{DSN: o.clusterURL, Prefix: o.clusterPrefix, Logger: log})
		cancel()
		if err != nil {
			return fmt.Errorf("--cluster-url: %w", err)
		}
		defer bus.Close() // after the gateway's shutdown, below
		log.Info("cluster: joined", slog.String("node", bus.Node()), slog.String("prefix", o.clusterPrefix))
	}
	gw, err := gateway.New(gateway.Config{
		Bus:   bus,
		Store: store,
		Fires: store,
		Queue: store.Queue(),
		Async: asyncConfig(o),
		// Callbacks reach what fetch may: public addresses and --fetch-allow.
		CallbackAllowPrivate: o.fetch.AllowPrivate,
		Keys:                 store,
		Tenants:              store,
		Executor:             workers.Dispatch{Functions: executor, Workers: workerManager},
		Workers:              workerManager,
		Quarantine:           quarantine,
		Logger:               log,
		AdminKey:             envKey,
		PublicURL:            o.publicURL,
		CallState:            store,
		MaxBodyBytes:         o.maxBody,
		MaxHeaderBytes:       o.maxHeader,
		Usage:                o.usage,
		ClientIPHeader:       o.clientIPHeader,
		TrustedProxies:       proxies,
		RateLimitKeys:        o.rateLimitKeys,
		Limiter:              shared.limiter,
		IPLimiter:            shared.ipLimiter,
		Concurrency:          shared.concurrency,
		SharedLimits:         shared.status,
		MaxJSONDepth:         o.maxJSONDepth,
		ReadTimeout:          o.readTimeout,
		IdleTimeout:          o.idleTimeout,
		Limits: functions.Limits{
			DefaultTimeoutMS: int(o.defaultTimeout.Milliseconds()), MaxTimeoutMS: int(o.maxTimeout.Milliseconds()),
			DefaultMemoryMB: o.defaultMemory, MaxMemoryMB: o.maxMemory,
		},
		RunRetention:       time.Duration(o.runRetention),
		RunMaxPerTenant:    o.runsPerTenant,
		RunPruneInterval:   o.runsPruneEvery,
		QuietRunRecords:    quietRuns,
		LogOKInvocations:   o.logOKRuns,
		EngineStats:        engineStats,
		MetricsFunctionIDs: o.metricsFnIDs,
		NoDisconnectWatch:  !o.watchConns,
		SSECoalesce:        cmp.Or(o.sseCoalesce, -1), // 0 on the command line: none
		SandboxRestarts:    restarts,
		Tracer:             tracer,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another server running? choose another with --addr)", o.addr, err)
	}
	log.Info("gateway listening", slog.String("addr", ln.Addr().String()), slog.String("store", where))
	if o.pprofAddr != "" {
		prof, err := servePprof(o.pprofAddr, log)
		if err != nil {
			ln.Close()
			return err
		}
		defer prof.Close()
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- gw.Serve(ln) }()
	go pruneKV(ctx, store, log)
	go pruneCallState(ctx, store, log)
	scheduled := make(chan struct{}) // closed when the scheduler has stopped and its runs ended
	if o.schedules {
		runner, err := schedule.NewRunner(schedule.RunnerConfig{Store: store, Invoker: gw, Log: log, NewRequestID: gateway.NewRequestID})
		if err != nil {
			return err
		}
		if bus != nil {
			// One gateway of the cluster runs the schedules: the leader.
			go func() { bus.Lead(ctx, runner.Run); close(scheduled) }()
		} else {
			go func() { runner.Run(ctx); close(scheduled) }()
		}
	} else {
		close(scheduled)
	}
	queued := make(chan struct{}) // closed when the queue's workers have stopped and their runs ended
	if o.async.Workers >= 0 {
		go func() { gw.RunAsync(ctx); close(queued) }()
	} else {
		close(queued)
	}
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", slog.Duration("grace", o.shutdownGrace))
	sctx, cancel := context.WithTimeout(context.Background(), o.shutdownGrace)
	defer cancel()
	// Scheduled runs in progress finish within the grace, as calls do,
	// before the gateway closes what records them.
	select {
	case <-scheduled:
	case <-sctx.Done():
	}
	select { // async runs in progress likewise; the queued ones wait in the store
	case <-queued:
	case <-sctx.Done():
	}
	if err := gw.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// openStore opens PostgreSQL when --database-url (or DATABASE_URL) is
// set, else the SQLite file in --data-dir. where names it for the log,
// without a password.
func openStore(ctx context.Context, o serveOptions) (store backend.Backend, where string, err error) {
	if o.databaseURL != "" {
		where = redactURL(o.databaseURL)
		octx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		pg, err := postgres.Open(octx, o.databaseURL)
		if err != nil {
			return nil, "", fmt.Errorf("opening the store at %s: %w", where, err)
		}
		return pg, where, nil
	}
	where = filepath.Join(o.dataDir, "scriptforge.db")
	lite, err := sqlite.Open(where)
	if err != nil {
		return nil, "", fmt.Errorf("opening the store at %s: %w", where, err)
	}
	return lite, where, nil
}

// redactURL is a database URL fit for a log: its password, and whatever
// does not parse, left out.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "postgres"
	}
	return u.Redacted()
}

// newTracer exports spans to --otlp-endpoint, else to what the standard
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT
// variables name, else nowhere. The SDK reports failed exports to
// OpenTelemetry's one global error handler: it goes to the log.
func newTracer(endpoint string, log *slog.Logger) (*tracing.Tracer, error) {
	fromEnv := os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != ""
	t, err := tracing.New(tracing.Config{Endpoint: endpoint, FromEnv: fromEnv})
	if err != nil {
		return nil, fmt.Errorf("--otlp-endpoint: %w", err)
	}
	if t.Enabled() {
		otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
			log.Warn("tracing: export failed", slog.Any("error", err))
		}))
		where := endpoint
		if where == "" {
			where = "from OTEL_EXPORTER_OTLP_* variables"
		}
		log.Info("tracing: exporting spans over OTLP/HTTP", slog.String("endpoint", where))
	}
	return t, nil
}

// pruneCallState deletes the state of voice calls whose TTL passed
// (calls that ended without a final status callback), every ten minutes.
func pruneCallState(ctx context.Context, st voice.StateStore, log *slog.Logger) {
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		if n, err := st.PruneCallState(ctx); err != nil && ctx.Err() == nil {
			log.Error("pruning expired call state", slog.Any("error", err))
		} else if n > 0 {
			log.Info("pruned expired call state", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// pruneKV deletes expired kv keys every hour until ctx ends. Reads never
// see them; this gives their space back to tenants that never fill up.
func pruneKV(ctx context.Context, kv functions.KVStore, log *slog.Logger) {
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		if n, err := kv.PruneKV(ctx); err != nil && ctx.Err() == nil {
			log.Error("pruning expired kv keys", slog.Any("error", err))
		} else if n > 0 {
			log.Info("pruned expired kv keys", slog.Int64("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// ageFlag is a duration flag that also takes days ("7d"), as retention
// is usually counted.
type ageFlag time.Duration

func (a *ageFlag) String() string { return auth.FormatDuration(time.Duration(*a)) }
func (a *ageFlag) Type() string   { return "duration" }

func (a *ageFlag) Set(s string) error {
	d, err := auth.ParseDuration(s)
	if err != nil {
		return err
	}
	if d <= 0 {
		return fmt.Errorf("%q: must be more than 0", s)
	}
	*a = ageFlag(d)
	return nil
}

// asyncConfig is the gateway's AsyncConfig from the flags: by default
// half the sandboxes run async work, so interactive calls keep the rest.
func asyncConfig(o serveOptions) gateway.AsyncConfig {
	a := o.async
	if a.Workers == 0 {
		a.Workers = max(1, o.sandboxes/2)
	}
	return a
}

// limitsShared are the gateway's limiters when --redis-url shares them;
// all nil without it (the gateway's own, in process).
type limitsShared struct {
	cluster            *ratelimit.Cluster
	limiter, ipLimiter ratelimit.Limiter
	concurrency        ratelimit.ConcurrencyLimiter
	status             gateway.SharedLimits
}

// sharedLimits connects to --redis-url, if given. An unreachable Redis
// does not stop the gateway: it limits alone until Redis answers.
func sharedLimits(o serveOptions, log *slog.Logger) (limitsShared, error) {
	if o.redisURL == "" {
		return limitsShared{}, nil
	}
	// go-redis reports each failed dial on its own; the outage is logged
	// once by the cluster, the details at debug.
	redis.SetLogger(redisLog{log})
	c, err := ratelimit.NewCluster(ratelimit.ClusterConfig{URL: o.redisURL, Prefix: o.redisPrefix,
		MaxKeys: o.rateLimitKeys, Logger: log})
	if err != nil {
		return limitsShared{}, fmt.Errorf("--redis-url: %w", err)
	}
	s := limitsShared{cluster: c, status: c}
	if s.limiter, err = c.Limiter(); err == nil {
		if s.ipLimiter, err = c.Limiter(); err == nil {
			s.concurrency, err = c.Concurrency()
		}
	}
	if err != nil {
		c.Close()
		return limitsShared{}, err
	}
	log.Info("limits are shared through redis", slog.String("prefix", o.redisPrefix),
		slog.Bool("reachable", c.Shared()), slog.Int("gateways", c.Gateways()))
	return s, nil
}

// redisLog takes go-redis's own messages into the log, at debug.
type redisLog struct{ log *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}
