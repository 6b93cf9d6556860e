package gateway

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/golang-jwt/jwt/v5"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

// The gateway's own cost per invocation, without JavaScript: the real
// fiber app over an in-memory listener, a constant executor, parallel
// clients, against a bare fiber handler measured in the same run. The
// difference of ns/op is what the gateway adds; the ratio bare/gateway
// of ns/op is the share of the bare HTTP stack's throughput it keeps.
//
//	go test -run '^$' -bench BenchmarkInvoke -benchmem -cpu 2 ./gateway/
//	go test -run '^$' -bench 'BenchmarkInvoke/public' -cpuprofile cpu.out ./gateway/
//
// Sub-benchmarks:
//   - cpu-ns/op is the process CPU (server and clients) per request,
//     the figure to compare on a shared machine.
//   - bare: fiber with only the route; decodes the body, answers JSON.
//   - public: a public function, no limits; access log at info (the
//     serve default) in JSON to io.Discard.
//   - guarded: auth=jwt (HS256) and every fair-usage limit on (client
//     IP, function and tenant buckets, tenant and function concurrency
//     caps), all far above the load, as bench/limits.sh.
//   - public-warnlog: public with the log at warn (bench/gateway.sh).
func BenchmarkInvoke(b *testing.B) {
	b.Run("bare", func(b *testing.B) {
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Post("/v1/fn/:uuid", func(c *fiber.Ctx) error {
			var in struct {
				N any `json:"n"`
			}
			if err := json.Unmarshal(c.Body(), &in); err != nil {
				return c.Status(fiber.StatusBadRequest).SendString("invalid_json")
			}
			out, err := json.Marshal(struct {
				OK bool `json:"ok"`
				N  any  `json:"n"`
			}{true, in.N})
			if err != nil {
				return err
			}
			c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			return c.Send(out)
		})
		ln := fasthttputil.NewInmemoryListener()
		go func() { _ = app.Listener(ln) }()
		b.Cleanup(func() { _ = app.Shutdown() })
		hammer(b, ln, "/v1/fn/0190c0de-0000-7000-8000-000000000000", "")
	})
	b.Run("public", func(b *testing.B) {
		bg := benchGateway(b, false, slog.LevelInfo)
		hammer(b, bg.listen(b), bg.path, "")
	})
	b.Run("guarded", func(b *testing.B) {
		bg := benchGateway(b, true, slog.LevelInfo)
		hammer(b, bg.listen(b), bg.path, "Bearer "+bg.token)
	})
	b.Run("public-warnlog", func(b *testing.B) {
		bg := benchGateway(b, false, slog.LevelWarn)
		hammer(b, bg.listen(b), bg.path, "")
	})
}

// BenchmarkHandler is BenchmarkInvoke without the connection: the fiber
// handler called on a prepared request, in parallel, so that a profile
// shows the gateway alone (no client, no pipe). public-every-run-record
// stores every quiet run (QuietRunRecords < 0) instead of 50 a second.
func BenchmarkHandler(b *testing.B) {
	keepAll := func(c *Config) { c.QuietRunRecords = -1 }
	for _, c := range []struct {
		name    string
		guarded bool
		options []func(*Config)
		typed   bool // input and output schemas on (bench/schemas.sh)
	}{{"public", false, nil, false}, {"guarded", true, nil, false}, {"public-every-run-record", false, []func(*Config){keepAll}, false}, {"typed", false, nil, true}} {
		b.Run(c.name, func(b *testing.B) {
			bg := benchGateway(b, c.guarded, slog.LevelInfo, c.options...)
			if c.typed {
				bg.addSchemas(b)
			}
			h := bg.gw.app.Handler()
			authorization := ""
			if c.guarded {
				authorization = "Bearer " + bg.token
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				var req fasthttp.Request
				fillRequest(&req, bg.path, authorization)
				var ctx fasthttp.RequestCtx
				ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
				for pb.Next() {
					h(&ctx)
					if ctx.Response.StatusCode() != fasthttp.StatusOK {
						b.Errorf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
						return
					}
					// What the server does between two requests on a connection.
					ctx.Response.Reset()
					ctx.ResetUserValues()
				}
			})
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func fillRequest(req *fasthttp.Request, path, authorization string) {
	req.SetRequestURI("http://bench" + path)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.Header.SetUserAgent("bench")
	if authorization != "" {
		req.Header.Set(fasthttp.HeaderAuthorization, authorization)
	}
	req.SetBodyString(`{"n":42}`)
}

// processCPU is the process's user and system CPU time so far, in ns:
// on a shared machine CPU per request is steadier than wall time.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// constExecutor answers every invocation with the same result: what the
// gateway costs is then all there is to measure.
type constExecutor struct{}

func (constExecutor) Execute(_ context.Context, inv *functions.Invocation) (*functions.Result, error) {
	if !json.Valid(inv.Data) {
		return nil, &functions.RunError{Status: 500, Code: "bad_data", Message: "invalid data"}
	}
	return &functions.Result{JSON: json.RawMessage(`{"ok":true,"n":42}`), Duration: time.Microsecond}, nil
}

const benchJWTSecret = "bench-jwt-secret-0123456789abcdef0123456789"

// benchGateway starts a gateway on an in-memory listener with a SQLite
// store (the run records are part of the cost) and one function; it
// returns the listener, the function's path and, when guarded, a token.
type benchSetup struct {
	gw          *Gateway
	path, token string
}

func benchGateway(b *testing.B, guarded bool, level slog.Level, options ...func(*Config)) benchSetup {
	b.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	cfg := Config{
		Store: store, Keys: store, Tenants: store, Executor: constExecutor{},
		Logger: slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: level})),
	}
	tenant, settings, token := auth.DefaultTenant, functions.Settings{}, ""
	if guarded {
		const huge = 1_000_000
		tenant = "bench"
		if _, err := store.CreateTenant(ctx, auth.Tenant{ID: tenant, Name: tenant,
			JWT: &auth.JWTConfig{Keys: []auth.JWTKey{{Alg: "HS256", Secret: benchJWTSecret}}}}); err != nil {
			b.Fatal(err)
		}
		settings = functions.Settings{Auth: functions.AuthJWT,
			Limits: functions.UsageLimits{Rate: huge, Burst: huge, Concurrency: 10_000}}
		cfg.Usage = UsageDefaults{TenantRate: huge, TenantBurst: huge, IPRate: huge, IPBurst: huge, TenantConcurrency: 100_000}
		token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"sub": "bench-user", "iat": time.Now().Unix(), "exp": time.Now().Add(2 * time.Hour).Unix(),
		}).SignedString([]byte(benchJWTSecret))
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, o := range options {
		o(&cfg)
	}
	d, err := store.Create(ctx, tenant, "bench_app", settings, functions.NewVersion{
		Type: functions.TypeApp, Source: "-", Code: "-", Hash: "-", Env: []functions.EnvVar{}, TimeoutMS: 1000, MemoryMB: 64,
	})
	if err != nil {
		b.Fatal(err)
	}
	gw, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			b.Errorf("shutdown: %v", err)
		}
		store.Close()
	})
	return benchSetup{gw: gw, path: "/v1/fn/" + d.UUID, token: token}
}

// listen serves the gateway on an in-memory listener.
// addSchemas gives the bench function the input and output schemas of
// bench/schemas.sh, which its body and result match.
func (bg benchSetup) addSchemas(b *testing.B) {
	ctx := context.Background()
	d, err := bg.gw.cfg.Store.ByUUID(ctx, bg.path[len("/v1/fn/"):])
	if err != nil {
		b.Fatal(err)
	}
	set := d.Settings
	set.InputSchema = `{"type":"object","required":["n"],"properties":{"n":{"type":"integer","minimum":0}},"additionalProperties":false}`
	set.OutputSchema = `{"type":"object","required":["ok","n"],"properties":{"ok":{"type":"boolean"},"n":{"type":"integer"}}}`
	if _, err := bg.gw.cfg.Store.UpdateSettings(ctx, d.Tenant, d.ID, set); err != nil {
		b.Fatal(err)
	}
}

func (bg benchSetup) listen(b *testing.B) *fasthttputil.InmemoryListener {
	ln := fasthttputil.NewInmemoryListener()
	go func() { _ = bg.gw.Serve(ln) }()
	return ln
}

// hammer posts {"n":42} to path from 16 clients per CPU, each on its own
// kept-alive connection, and fails on any answer but 200. accept, if
// set, is the requests' Accept header.
func hammer(b *testing.B, ln *fasthttputil.InmemoryListener, path, authorization string, accept ...string) {
	b.Helper()
	client := &fasthttp.Client{
		Dial:                func(string) (conn net.Conn, err error) { return ln.Dial() },
		MaxConnsPerHost:     1 << 12,
		MaxIdleConnDuration: time.Minute,
	}
	b.SetParallelism(16)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	defer func() { b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op") }()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		fillRequest(req, path, authorization)
		for _, a := range accept {
			req.Header.Set(fasthttp.HeaderAccept, a)
		}
		for pb.Next() {
			if err := client.Do(req, resp); err != nil {
				b.Error(err)
				return
			}
			if resp.StatusCode() != fasthttp.StatusOK {
				b.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
				return
			}
		}
	})
}

// BenchmarkLookup is a warm lookup of a function and its tenant, in
// parallel: the two cache hits every invocation starts with.
func BenchmarkLookup(b *testing.B) {
	bg := benchGateway(b, true, slog.LevelInfo)
	uuid := bg.path[len("/v1/fn/"):]
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d, err := bg.gw.lookups.get(ctx, uuid)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := bg.gw.tenants.get(ctx, d.Tenant); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkJSON is the request body in (checked, copied as the
// function's data) and a result out (written to the response).
func BenchmarkJSON(b *testing.B) {
	g := &Gateway{cfg: Config{MaxBodyBytes: 1 << 20, MaxJSONDepth: 64}}
	app := fiber.New()
	big := []byte(`{"items":[`)
	for len(big) < 64<<10 {
		big = append(big, `{"id":12345,"name":"a \"quoted\" name","tags":["x","y"],"ok":true,"v":-1.5e3},`...)
	}
	big = append(big[:len(big)-1], "]}"...)
	for _, c := range []struct {
		name string
		body []byte
	}{{"in-small", []byte(`{"n":42}`)}, {"in-64KiB", big}} {
		b.Run(c.name, func(b *testing.B) {
			fctx := &fasthttp.RequestCtx{}
			fctx.Request.Header.SetMethod(fasthttp.MethodPost)
			fctx.Request.Header.SetContentType("application/json")
			fctx.Request.SetBody(c.body)
			ctx := app.AcquireCtx(fctx)
			defer app.ReleaseCtx(ctx)
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, _, err := g.requestData(ctx, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("out-small", func(b *testing.B) {
		fctx := &fasthttp.RequestCtx{}
		ctx := app.AcquireCtx(fctx)
		defer app.ReleaseCtx(ctx)
		res := json.RawMessage(`{"ok":true,"n":42}`)
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			ctx.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
			if err := ctx.Send(res); err != nil {
				b.Fatal(err)
			}
			fctx.Response.Reset()
		}
	})
}

// BenchmarkRequestInfo builds ctx.request of a request with a browser's
// worth of headers.
func BenchmarkRequestInfo(b *testing.B) {
	app := fiber.New()
	fctx := &fasthttp.RequestCtx{}
	fillRequest(&fctx.Request, "/v1/fn/0190c0de-0000-7000-8000-000000000000?a=1&b=2", "Bearer x.y.z")
	for _, h := range [][2]string{{"Accept", "application/json"}, {"Accept-Encoding", "gzip, br"},
		{"Accept-Language", "en-GB,en;q=0.9"}, {"X-Forwarded-For", "203.0.113.7"}, {"X-Custom-Thing", "value"}} {
		fctx.Request.Header.Set(h[0], h[1])
	}
	ctx := app.AcquireCtx(fctx)
	defer app.ReleaseCtx(ctx)
	query := map[string][]string{"a": {"1"}, "b": {"2"}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ri := requestInfo(ctx, query, true)
		if len(ri.Headers) != 7 || ri.Headers["x-custom-thing"] != "value" {
			b.Fatal(ri.Headers)
		}
	}
}
