package gateway_test

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/backend"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/postgres"
	"github.com/scriptforge/scriptforge/functions/postgres/pgtest"
	"github.com/scriptforge/scriptforge/functions/routing"
	"github.com/scriptforge/scriptforge/functions/sandbox"
	"github.com/scriptforge/scriptforge/functions/sqlite"
	"github.com/scriptforge/scriptforge/functions/workers"
	"github.com/scriptforge/scriptforge/gateway"
)

const adminKey = "sfk_test_admin_key_0123456789"

// server is a real gateway on a free port, with a SQLite store in a temp
// dir, or with SCRIPTFORGE_TEST_DATABASE_URL set, a PostgreSQL store in
// a schema of the dir's own (see openStore).
type server struct {
	t     *testing.T
	url   string
	dir   string
	store backend.Backend
	gw    *gateway.Gateway
	stop  func()
}

// The test binary doubles as a sandbox process for the process-isolation runs.
const childEnv = "SCRIPTFORGE_GATEWAY_TEST_SANDBOX"

func TestMain(m *testing.M) {
	if mb := os.Getenv(childEnv); mb != "" {
		o := sandbox.ChildOptions{Host: "test", Handoffs: []functions.Handoff{routing.Handoff}} // as cmd/scriptforge sets them
		o.MemoryMB, _ = strconv.Atoi(mb)
		if os.Getenv(loopbackFetchEnv) != "" { // tests whose functions fetch from a local server
			o.Fetch.AllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		}
		if last := os.Args[len(os.Args)-1]; strings.HasPrefix(last, "worker=") {
			o.Worker = true
			o.MemoryMB, _ = strconv.Atoi(strings.TrimPrefix(last, "worker="))
		}
		if err := sandbox.RunChild(o); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// sandboxMemoryMB caps each test sandbox unless a test asks for less.
const sandboxMemoryMB = 512

// isolations are the executors a behaviour must hold for.
var isolations = []string{"inprocess", "process"}

// executor returns what runs functions in the given mode: Scripts and Apps
// on an engine or a sandbox pool, Workers on their own runtimes.
func executor(t *testing.T, isolation string, sandboxMB int, kv functions.KVStore) (functions.Executor, *workers.Manager) {
	t.Helper()
	if isolation == "inprocess" {
		eng := engine.New(engine.Config{Host: "test", KV: engine.LocalKV{Store: kv}})
		m := workers.New(workers.InProcess(eng))
		t.Cleanup(m.Close)
		return workers.Dispatch{Functions: eng, Workers: m}, m
	}
	base := sandbox.Config{Env: []string{childEnv + "=" + strconv.Itoa(sandboxMB)}, KV: kv}
	cfg := base
	cfg.Size, cfg.MemoryMB = 2, sandboxMB
	cfg.Command = func() *exec.Cmd { return exec.Command(os.Args[0], "-test.run=^$") }
	pool := sandbox.New(cfg)
	if err := pool.Start(); err != nil {
		t.Fatal(err)
	}
	m := workers.New(sandbox.WorkerSpawner(base, func(memoryMB int) *exec.Cmd {
		return exec.Command(os.Args[0], "-test.run=^$", fmt.Sprint("worker=", memoryMB))
	}))
	t.Cleanup(func() { m.Close(); pool.Close() })
	return workers.Dispatch{Functions: pool, Workers: m}, m
}

// pgSchemas maps a test's data dir to its PostgreSQL schema's URL, so a
// server restarted on the same dir finds what the first one stored.
var pgSchemas sync.Map

// openStore opens the store of dir: SQLite in it, or when the variable
// SCRIPTFORGE_TEST_DATABASE_URL names a database, a PostgreSQL schema
// made for dir (dropped when the test that made it ends).
func openStore(t *testing.T, dir string) backend.Backend {
	t.Helper()
	if os.Getenv("SCRIPTFORGE_TEST_DATABASE_URL") == "" {
		store, err := sqlite.Open(filepath.Join(dir, "scriptforge.db"))
		if err != nil {
			t.Fatal(err)
		}
		return store
	}
	url, ok := pgSchemas.Load(dir)
	if !ok {
		url = pgtest.URL(t)
		pgSchemas.Store(dir, url)
	}
	store, err := postgres.Open(context.Background(), url.(string))
	if err != nil {
		t.Fatal(err)
	}
	return store
}

func startServer(t *testing.T, dir string) *server {
	t.Helper()
	return startServerWith(t, dir, "inprocess", 0)
}

func startServerWith(t *testing.T, dir, isolation string, sandboxMB int, options ...func(*gateway.Config)) *server {
	t.Helper()
	store := openStore(t, dir)
	s := &server{t: t, dir: dir, store: store}
	exec, workerManager := executor(t, isolation, cmp.Or(sandboxMB, sandboxMemoryMB), store)
	cfg := gateway.Config{
		Store: store, Fires: store, Keys: store, Tenants: store, Executor: exec, Workers: workerManager,
		AdminKey: adminKey, MaxBodyBytes: 64 << 10,
		Limits: functions.Limits{DefaultTimeoutMS: 1000, MaxTimeoutMS: 5000, DefaultMemoryMB: 64, MaxMemoryMB: 1024},
	}
	for _, o := range options {
		o(&cfg)
	}
	gw, err := gateway.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.gw = gw
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = gw.Serve(ln); close(done) }()
	s.url = "http://" + ln.Addr().String()
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		testClient.CloseIdleConnections()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := gw.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		<-done
		store.Close()
	}
	t.Cleanup(s.stop)
	// Wait until it serves: a Shutdown that comes before fasthttp has
	// taken the listener returns at once and leaves Serve running forever.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		resp, err := testClient.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not start serving: %v", err)
		}
	}
	return s
}

// testClient keeps a connection per concurrent caller: the default keeps
// two, so tests that call from many goroutines would open (and leave
// closing) a connection per request.
var testClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("answer is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// errorCode returns error.code of an error answer.
func (r response) errorCode(t *testing.T) string {
	e, _ := r.json(t)["error"].(map[string]any)
	if e == nil {
		t.Fatalf("not an error answer: %s", r.body)
	}
	if rid, _ := e["request_id"].(string); rid == "" || rid != r.header.Get("X-Request-Id") {
		t.Fatalf("error without the request id of the response: %s (header %q)", r.body, r.header.Get("X-Request-Id"))
	}
	code, _ := e["code"].(string)
	return code
}

func (s *server) do(method, path string, body any, headers map[string]string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := testClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.Header.Get("X-Request-Id") == "" {
		s.t.Fatalf("%s %s: no X-Request-Id", method, path)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}
}

func (s *server) admin(method, path string, body any) response {
	s.t.Helper()
	return s.do(method, path, body, map[string]string{"Authorization": "Bearer " + adminKey, "Content-Type": "application/json"})
}

// createFor writes a Script straight into the store under another tenant
// (the admin API serves only the default tenant so far) and returns its uuid.
func (s *server) createFor(tenant, name, src string) string {
	s.t.Helper()
	tr, err := engine.Transpile(name+".js", src)
	if err != nil {
		s.t.Fatal(err)
	}
	d, err := s.store.Create(context.Background(), tenant, name, functions.Settings{}, functions.NewVersion{
		Type: functions.TypeScript, Source: src, Code: tr.Code, Hash: tr.Hash,
		Env: []functions.EnvVar{}, TimeoutMS: 5000, MemoryMB: 64,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return d.UUID
}

// deployWith creates a function from a full request and returns its uuid.
func (s *server) deployWith(req map[string]any) string {
	s.t.Helper()
	r := s.admin("POST", "/v1/functions", req)
	if r.status != http.StatusCreated {
		s.t.Fatalf("deploy %v: %d %s", req["name"], r.status, r.body)
	}
	return r.json(s.t)["uuid"].(string)
}

// deploy creates a function and returns its id and uuid.
func (s *server) deploy(name, typ, source string) (id, uuid string) {
	s.t.Helper()
	r := s.admin("POST", "/v1/functions", map[string]any{"name": name, "type": typ, "source": source})
	if r.status != http.StatusCreated {
		s.t.Fatalf("deploy %s: %d %s", name, r.status, r.body)
	}
	m := r.json(s.t)
	return m["id"].(string), m["uuid"].(string)
}

func TestFunctionLifecycle(t *testing.T) {
	s := startServer(t, t.TempDir())
	r := s.admin("POST", "/v1/functions", map[string]any{
		"name": "router", "type": "script",
		"source": `function main(data) { return {v: 1, routing: data.routing} }`,
		"env":    map[string]any{"PLAIN": "p", "SECRET": map[string]string{"value": "hunter2", "flag": "private"}, "PROT": map[string]string{"value": "x", "flag": "protected"}},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	fn := r.json(t)
	id, uuid := fn["id"].(string), fn["uuid"].(string)
	if !strings.HasPrefix(id, "fn_") || fn["version"].(float64) != 1 || fn["url"] != s.url+"/v1/fn/"+uuid {
		t.Fatalf("unexpected create answer: %s", r.body)
	}
	if bytes.Contains(r.body, []byte("hunter2")) || !bytes.Contains(r.body, []byte(`"value":"p"`)) {
		t.Fatalf("env values shown wrongly: %s", r.body)
	}

	call := func(wantV float64) {
		t.Helper()
		r := s.do("POST", "/v1/fn/"+uuid, `{"routing":{"to":"+15550100"}}`, map[string]string{"Content-Type": "application/json"})
		if r.status != 200 || r.json(t)["v"] != wantV || r.header.Get("Content-Type") != "application/json" {
			t.Fatalf("invoke: want v=%v, got %d %s", wantV, r.status, r.body)
		}
	}
	call(1)

	// A new version goes live at once; env entries without a value keep theirs.
	r = s.admin("PUT", "/v1/functions/"+id, map[string]any{
		"source": `function main(data) { return {v: 2, secret: process.env.SECRET, prot: process.env.PROT} }`,
		"env":    map[string]any{"SECRET": map[string]any{}, "PROT": map[string]any{}},
	})
	if r.status != 200 || r.json(t)["version"].(float64) != 2 {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r = s.do("POST", "/v1/fn/"+uuid, nil, nil)
	if m := r.json(t); m["v"] != 2.0 || m["secret"] != "hunter2" || m["prot"] != "x" {
		t.Fatalf("v2 run: %s", r.body)
	}

	r = s.admin("GET", "/v1/functions/"+id+"/versions", nil)
	var vs struct {
		Versions []struct {
			Version int  `json:"version"`
			Live    bool `json:"live"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(r.body, &vs); err != nil || len(vs.Versions) != 2 || vs.Versions[0].Version != 2 || !vs.Versions[0].Live {
		t.Fatalf("versions: %s", r.body)
	}
	r = s.admin("GET", "/v1/functions/"+id+"/versions/1", nil)
	if !strings.Contains(r.json(t)["source"].(string), "v: 1") {
		t.Fatalf("version 1 source: %s", r.body)
	}

	r = s.admin("POST", "/v1/functions/"+id+"/rollback", map[string]int{"version": 1})
	if r.status != 200 || r.json(t)["version"].(float64) != 1 {
		t.Fatalf("rollback: %d %s", r.status, r.body)
	}
	call(1)
	if r = s.admin("POST", "/v1/functions/"+id+"/rollback", map[string]int{"version": 9}); r.status != 404 || r.errorCode(t) != "version_not_found" {
		t.Fatalf("rollback to a missing version: %d %s", r.status, r.body)
	}

	r = s.admin("POST", "/v1/functions/"+id+"/rotate-uuid", nil)
	newUUID := r.json(t)["uuid"].(string)
	if r.status != 200 || newUUID == uuid {
		t.Fatalf("rotate: %d %s", r.status, r.body)
	}
	if r = s.do("POST", "/v1/fn/"+uuid, nil, nil); r.status != 404 || r.errorCode(t) != "not_found" {
		t.Fatalf("old uuid still answers: %d %s", r.status, r.body)
	}
	uuid = newUUID
	call(1)

	r = s.admin("GET", "/v1/functions", nil)
	if list := r.json(t)["functions"].([]any); len(list) != 1 {
		t.Fatalf("list: %s", r.body)
	}
	if r = s.admin("DELETE", "/v1/functions/"+id, nil); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if r = s.do("POST", "/v1/fn/"+uuid, nil, nil); r.status != 404 {
		t.Fatalf("deleted function still answers: %d", r.status)
	}
	if r = s.admin("GET", "/v1/functions/"+id, nil); r.status != 404 {
		t.Fatalf("deleted function still listed: %d", r.status)
	}
}

func TestAdminErrors(t *testing.T) {
	s := startServer(t, t.TempDir())
	id, _ := s.deploy("taken", "script", "function main() {}")
	auth := map[string]string{"Authorization": "Bearer " + adminKey}
	cases := []struct {
		name, method, path string
		body               any
		headers            map[string]string
		status             int
		code, msg          string
	}{
		{"no key", "GET", "/v1/functions", nil, nil, 401, "unauthorized", "missing credentials"},
		{"wrong key", "GET", "/v1/functions", nil, map[string]string{"Authorization": "Bearer nope"}, 401, "unauthorized", "invalid API key"},
		{"wrong scheme", "GET", "/v1/functions", nil, map[string]string{"Authorization": "Basic " + adminKey}, 401, "unauthorized", "Bearer"},
		{"malformed json", "POST", "/v1/functions", `{"name":`, auth, 400, "invalid_json", "malformed JSON"},
		{"empty body", "POST", "/v1/functions", ``, auth, 400, "invalid_json", "empty"},
		{"unknown field", "POST", "/v1/functions", `{"name":"a","source":"x","colour":1}`, auth, 400, "invalid_json", "colour"},
		{"wrong type", "POST", "/v1/functions", `{"name":42,"source":"x"}`, auth, 400, "invalid_json", `must be a string, not number`},
		{"trailing data", "POST", "/v1/functions", `{"name":"a","source":"x"} {}`, auth, 400, "invalid_json", "after the JSON"},
		{"missing source", "POST", "/v1/functions", `{"name":"a"}`, auth, 400, "invalid_source", "required"},
		{"bad name", "POST", "/v1/functions", `{"name":"../etc","source":"x"}`, auth, 400, "invalid_name", "letters"},
		{"bad type", "POST", "/v1/functions", `{"name":"a","type":"lambda","source":"x"}`, auth, 400, "invalid_type", "script"},
		{"timeout too long", "POST", "/v1/functions", `{"name":"a","source":"x","timeout_ms":60000}`, auth, 400, "invalid_timeout_ms", "between 1 and 5000"},
		{"reserved env", "POST", "/v1/functions", `{"name":"a","source":"x","env":{"SCRIPTFORGE_ID":"x"}}`, auth, 400, "invalid_env", "set by the runtime"},
		{"bad env flag", "POST", "/v1/functions", `{"name":"a","source":"x","env":{"A":{"value":"1","flag":"secret"}}}`, auth, 400, "invalid_env", "flag"},
		{"compile error", "POST", "/v1/functions", `{"name":"a","source":"function main() {\n  return 1 +;\n}"}`, auth, 400, "compile_error", "line 2, column 13"},
		// goja's parser panics on this valid literal: a clear 400, not a 500.
		{"code goja cannot parse", "POST", "/v1/functions", `{"name":"a","source":"function main() { return 'a\\u{20BB7}b\\u{10FFFF}c' }"}`, auth, 400, "compile_error", "could not parse this code"},
		{"name taken", "POST", "/v1/functions", `{"name":"taken","source":"function main(){}"}`, auth, 409, "name_taken", "exists"},
		{"rename", "PUT", "/v1/functions/" + id, `{"name":"other"}`, auth, 400, "invalid_name", "cannot be changed"},
		{"unknown function", "GET", "/v1/functions/fn_nope", nil, auth, 404, "not_found", "no such function"},
		{"bad version", "GET", "/v1/functions/" + id + "/versions/x", nil, auth, 400, "bad_request", "positive integer"},
		{"unknown route", "GET", "/v2/nothing", nil, nil, 404, "not_found", "no route"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := map[string]string{"Content-Type": "application/json"}
			for k, v := range c.headers {
				h[k] = v
			}
			r := s.do(c.method, c.path, c.body, h)
			code := r.errorCode(t)
			if r.status != c.status || code != c.code || !strings.Contains(string(r.body), c.msg) {
				t.Fatalf("got %d %s; want %d %s containing %q", r.status, r.body, c.status, c.code, c.msg)
			}
			if c.status == 401 && r.header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		})
	}
	// Nothing half-written: the store holds exactly the one function.
	r := s.admin("GET", "/v1/functions", nil)
	if list := r.json(t)["functions"].([]any); len(list) != 1 {
		t.Fatalf("bad input left something behind: %s", r.body)
	}
}

func TestInvocationContract(t *testing.T) {
	for _, iso := range isolations {
		t.Run(iso, func(t *testing.T) { testInvocationContract(t, startServerWith(t, t.TempDir(), iso, 0)) })
	}
}

func testInvocationContract(t *testing.T, s *server) {
	_, echo := s.deploy("echo", "app", `
		export function main(data, ctx) { return {data, method: ctx.request.method, q: ctx.request.query, h: ctx.request.headers["x-custom"], rid: ctx.requestId} }
		export const hello = (data) => "hello " + data.name;
		export function respond() { return new Response("<Response><Say>hi</Say></Response>", {status: 201, headers: {"Content-Type": "application/xml", "X-Extra": "1", "Content-Length": "999"}}) }
		export async function form(data, ctx) { const f = await ctx.request.formData(); return {data, entries: [...f].map(([k, v]) => typeof v === "string" ? [k, v] : [k, v.name, v.type, v.size, v instanceof File])} }
		export async function notForm(data, ctx) { try { await ctx.request.formData() } catch (e) { return e.name + ": " + e.message } }
		export function cookies() { const h = new Headers({"X-A": "1"}); h.append("Set-Cookie", "a=1; Path=/"); h.append("Set-Cookie", "b=2, with a comma; Secure"); h.append("set-cookie", "a=3"); h.append("x-a", "2");
			return new Response("ok", {headers: h}) }
		export function sip() { throw new Error("480 Temporarily Unavailable") }
		export async function sipReject() { return Promise.reject([604, "Does Not Exist Anywhere"]) }
		export function boom() { throw new TypeError("bad input") }
		export function spin() { for (;;) {} }
		export function streamed() { return new Response(new ReadableStream({start(c){c.enqueue(new TextEncoder().encode("hi")); c.close()}})) }
		export function streamedTicks() { let i = 0; return new Response(new ReadableStream({ pull(c) { return new Promise((r) => setTimeout(() => { if (i++ < 3) c.enqueue(new TextEncoder().encode("tick" + i + ";")); else c.close(); r(); }, 5)); } }).pipeThrough(new TransformStream({ transform(ch, c) { c.enqueue(ch); } })), {headers: {"Content-Type": "text/plain"}}) }
		export function streamedForever() { return new Response(new ReadableStream({ start(c) { setInterval(() => c.enqueue(new Uint8Array([46])), 10) } })) }
		export function streamedThrows() { return new Response(new ReadableStream({ pull() { throw new Error("pull failed") } })) }
		import dayjs from "dayjs"; import utc from "dayjs/plugin/utc"; import tz from "dayjs/plugin/timezone"; import Papa from "papaparse"; import { createHash } from "crypto";
		dayjs.extend(utc); dayjs.extend(tz);
		export function modules(data) {
			const when = dayjs.utc(data.t).tz("America/Chicago").format("YYYY-MM-DD HH:mm Z");
			const rows = Papa.parse(data.csv, {header: true}).data;
			return {when, rows, sha: createHash("sha256").update(Buffer.from(data.b64, "base64")).digest("hex").slice(0, 12), host: new URL(data.url).host}
		}`)
	json := map[string]string{"Content-Type": "application/json"}
	cases := []struct {
		name, method, path string
		body               any
		headers            map[string]string
		status             int
		want               string // substring of the body
		code               string // error code, for errors
	}{
		{"post json", "POST", "", `{"a":[1,2]}`, json, 200, `"data":{"a":[1,2]}`, ""},
		{"post json scalar", "POST", "", `42`, json, 200, `"data":42`, ""},
		{"empty body", "POST", "", ``, nil, 200, `"data":{}`, ""},
		{"get query", "GET", "?a=1&b=2&b=3", nil, nil, 200, `"data":{"a":"1","b":["2","3"]}`, ""},
		{"form", "POST", "", `CallSid=CA1&Digits=5`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 200, `"data":{"CallSid":"CA1","Digits":"5"}`, ""},
		{"json sent as a form (curl -d)", "POST", "", `{"a":1}`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 200, `"data":{"a":1}`, ""},
		{"text", "POST", "", `plain words`, map[string]string{"Content-Type": "text/plain"}, 200, `"data":"plain words"`, ""},
		{"headers reach ctx", "POST", "", `{}`, map[string]string{"Content-Type": "application/json", "X-Custom": "yes"}, 200, `"h":"yes"`, ""},
		{"modules", "POST", "/modules", `{"t":"2026-11-24T18:00:00Z","csv":"a,b\n1,2","b64":"aGVsbG8=","url":"https://Example.com:443/x"}`, json, 200,
			`{"when":"2026-11-24 12:00 -06:00","rows":[{"a":"1","b":"2"}],"sha":"2cf24dba5fb0","host":"example.com"}`, ""},
		{"export", "POST", "/hello", `{"name":"ada"}`, json, 200, `"hello ada"`, ""},
		{"response object", "POST", "/respond", `{}`, json, 201, `<Say>hi</Say>`, ""},
		{"multipart form", "POST", "/form", "--b\r\nContent-Disposition: form-data; name=\"who\"\r\n\r\nada\r\n--b\r\nContent-Disposition: form-data; name=\"up\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--\r\n",
			map[string]string{"Content-Type": "multipart/form-data; boundary=b"}, 200, `{"data":{"who":"ada"},"entries":[["who","ada"],["up","a.txt","text/plain",5,true]]}`, ""},
		{"url-encoded form", "POST", "/form", `a=1&b=x+y`, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 200, `"entries":[["a","1"],["b","x y"]]`, ""},
		{"formData of JSON", "POST", "/notForm", `{}`, json, 200, `TypeError: ctx.request.formData(): the request is not a form`, ""},
		{"malformed multipart", "POST", "/form", "--b\r\nnonsense", map[string]string{"Content-Type": "multipart/form-data; boundary=b"}, 400, `cannot be read`, "invalid_form"},
		{"sip code", "POST", "/sip", `{}`, json, 422, `"sip_code":480`, "480"},
		{"sip rejection", "POST", "/sipReject", `{}`, json, 422, `"Does Not Exist Anywhere"`, "604"},
		{"thrown error", "POST", "/boom", `{}`, json, 500, `TypeError: bad input`, "function_error"},
		{"timeout", "POST", "/spin", `{}`, json, 504, `time limit of 1000 ms`, "timeout"},
		{"streamed body", "POST", "/streamed", `{}`, json, 200, `hi`, ""},
		{"streamed body over timers", "POST", "/streamedTicks", `{}`, json, 200, `tick1;tick2;tick3;`, ""},
		{"body stream that never ends", "POST", "/streamedForever", `{}`, json, 504, `time limit of 1000 ms`, "timeout"},
		{"body stream that fails", "POST", "/streamedThrows", `{}`, json, 500, `Error: pull failed`, "function_error"},
		{"missing export", "POST", "/nope", `{}`, json, 404, `no export \"nope\"`, "export_not_found"},
		{"bad export name", "POST", "/a-b", `{}`, json, 404, `not a valid export`, "export_not_found"},
		{"malformed json", "POST", "", `{"a":`, json, 400, `not valid JSON`, "invalid_json"},
		{"unsupported type", "POST", "", `x`, map[string]string{"Content-Type": "application/octet-stream"}, 415, `not accepted`, "unsupported_media_type"},
		{"too large", "POST", "", `"` + strings.Repeat("x", 70<<10) + `"`, json, 413, `limit is 65536`, "payload_too_large"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := "/v1/fn/" + echo
			if strings.HasPrefix(c.path, "?") || strings.HasPrefix(c.path, "/") {
				path += c.path
			}
			r := s.do(c.method, path, c.body, c.headers)
			if r.status != c.status || !strings.Contains(string(r.body), c.want) {
				t.Fatalf("got %d %s; want %d containing %q", r.status, r.body, c.status, c.want)
			}
			if c.code != "" && r.errorCode(t) != c.code {
				t.Fatalf("error code %q, want %q", r.errorCode(t), c.code)
			}
		})
	}
	// A returned Response whose body is a stream is read to its end, then sent.
	if r := s.do("POST", "/v1/fn/"+echo+"/streamed", nil, nil); r.status != 200 || string(r.body) != "hi" {
		t.Fatalf("streamed body: %d %q", r.status, r.body)
	}
	r := s.do("POST", "/v1/fn/"+echo+"/respond", nil, nil)
	if r.header.Get("Content-Type") != "application/xml" || r.header.Get("X-Extra") != "1" || r.header.Get("Content-Length") == "999" {
		t.Fatalf("Response headers not passed through as expected: %v", r.header)
	}
	// Several Set-Cookie values go as lines of their own, in order, even
	// two of one name; other repeated headers are joined with ", ".
	r = s.do("POST", "/v1/fn/"+echo+"/cookies", nil, nil)
	if got := r.header.Values("Set-Cookie"); !slices.Equal(got, []string{"a=1; Path=/", "b=2, with a comma; Secure", "a=3"}) || r.header.Get("X-A") != "1, 2" {
		t.Fatalf("Set-Cookie lines %q, X-A %q", got, r.header.Get("X-A"))
	}
	for _, p := range []string{"/v1/fn/not-a-uuid", "/v1/fn/8f14e45f-ceea-467f-a8f2-0e2c1f3b9a11"} {
		if r := s.do("POST", p, nil, nil); r.status != 404 || r.errorCode(t) != "not_found" {
			t.Fatalf("%s: %d %s", p, r.status, r.body)
		}
	}
	// A body over the server's hard limit is refused from its Content-Length,
	// before it is read, still as JSON with a request id.
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/fn/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", echo, 64<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	huge := response{status: resp.StatusCode, header: resp.Header, body: body}
	if huge.status != 413 || huge.errorCode(t) != "payload_too_large" {
		t.Fatalf("huge body: %d %s", huge.status, huge.body)
	}
}

// Console output and errors are kept in the run record.
func TestRunRecords(t *testing.T) {
	s := startServer(t, t.TempDir())
	id, u := s.deploy("logger", "script", `function main(d) { console.log("got", d); if (d.fail) throw new Error("asked to fail"); return 1 }`)
	ok := s.do("POST", "/v1/fn/"+u, `{"x":1}`, map[string]string{"Content-Type": "application/json"})
	bad := s.do("POST", "/v1/fn/"+u, `{"fail":true}`, map[string]string{"Content-Type": "application/json"})
	var run map[string]any
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := s.admin("GET", "/v1/runs/"+bad.header.Get("X-Request-Id"), nil)
		if r.status == 200 {
			run = r.json(t)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("run record never appeared: %d %s", r.status, r.body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	logs, _ := run["logs"].([]any)
	if run["status"].(float64) != 500 || run["error_code"] != "function_error" || !strings.Contains(run["error"].(string), "asked to fail") ||
		len(logs) != 1 || logs[0].(map[string]any)["message"] != `got { fail: true }` {
		t.Fatalf("unexpected run record: %v", run)
	}
	r := s.admin("GET", "/v1/functions/"+id+"/runs", nil)
	runs := r.json(t)["runs"].([]any)
	// Newest first; two runs started in the same millisecond come in
	// either order (started_at is kept to the millisecond).
	if len(runs) != 2 || runs[0].(map[string]any)["request_id"] != ok.header.Get("X-Request-Id") &&
		runs[1].(map[string]any)["request_id"] != ok.header.Get("X-Request-Id") {
		t.Fatalf("runs list: %s", r.body)
	}
}

// A deploy is durable once acknowledged: a restarted gateway serves it.
func TestRestartKeepsFunctions(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	id, u := s.deploy("durable", "script", `function main() { return "still here" }`)
	s.admin("PUT", "/v1/functions/"+id, map[string]any{"source": `function main() { return "v2 still here" }`})
	s.stop()
	s2 := startServer(t, dir)
	r := s2.do("GET", "/v1/fn/"+u, nil, nil)
	if r.status != 200 || string(r.body) != `"v2 still here"` {
		t.Fatalf("after restart: %d %s", r.status, r.body)
	}
}

func TestOpsEndpoints(t *testing.T) {
	s := startServer(t, t.TempDir())
	_, u := s.deploy("m", "script", `function main() { return 1 }`)
	s.do("POST", "/v1/fn/"+u, nil, nil)
	for path, want := range map[string]string{
		"/healthz":      `"ok"`,
		"/readyz":       `"ready"`,
		"/metrics":      `scriptforge_invocations_total{outcome="ok"} 1`,
		"/openapi.json": `"openapi"`,
	} {
		r := s.do("GET", path, nil, nil)
		if r.status != 200 || !strings.Contains(string(r.body), want) {
			t.Errorf("%s: %d, want %q in %.300s", path, r.status, want, r.body)
		}
	}
	// The secret UUID never becomes a metrics label.
	if r := s.do("GET", "/metrics", nil, nil); strings.Contains(string(r.body), u) {
		t.Error("metrics expose a function UUID")
	}
}

// With process isolation, a bomb that gets past every guard kills one
// sandbox: its run fails with a clear error, a neighbour keeps answering,
// and the sandbox comes back.
func TestSandboxCrashIsContained(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "process", 128)
	// Another tenant's function runs in another sandbox: the crashes must not touch it.
	neighbour := s.createFor(otherTenant(), "neighbour", `function main(d) { return {ok: d.n} }`)
	r := s.admin("POST", "/v1/functions", map[string]any{"name": "bomb", "type": "script", "memory_mb": 1024,
		// 900 MB by the guard's count: within the function's budget, far past the sandbox's 128 MB.
		"source": `function main() { return "x".repeat(450e6).length }`})
	if r.status != 201 {
		t.Fatalf("deploy: %d %s", r.status, r.body)
	}
	bomb := r.json(t)["uuid"].(string)
	for i := 0; i < 3; i++ {
		r := s.do("POST", "/v1/fn/"+bomb, nil, nil)
		// The third runs quarantined, in a sandbox of its own: it kills that
		// one, or is refused if that one is not up yet.
		quarantined := i == 2 && r.status == 503 && r.errorCode(t) == "quarantined"
		if !quarantined && (r.status != 503 || r.errorCode(t) != "memory_limit" || !strings.Contains(string(r.body), "ran out of memory")) {
			t.Fatalf("bomb %d: %d %s", i, r.status, r.body)
		}
		n := s.do("POST", "/v1/fn/"+neighbour, fmt.Sprintf(`{"n":%d}`, i), map[string]string{"Content-Type": "application/json"})
		if n.status != 200 || string(n.body) != fmt.Sprintf(`{"ok":%d}`, i) {
			t.Fatalf("neighbour after bomb %d: %d %s", i, n.status, n.body)
		}
	}
	if m := s.do("GET", "/metrics", nil, nil); !regexp.MustCompile(`scriptforge_invocations_total\{outcome="memory_limit"\} [23]\n`).Match(m.body) {
		t.Fatalf("metrics: %s", m.body)
	}
}

// A Worker keeps its module state between calls, in either isolation
// mode; it can be stopped and started, and a new version starts afresh.
func TestWorkerFunctions(t *testing.T) {
	for _, iso := range isolations {
		t.Run(iso, func(t *testing.T) {
			s := startServerWith(t, t.TempDir(), iso, 0)
			r := s.admin("POST", "/v1/functions", map[string]any{"name": "counter", "type": "worker",
				"source": `let count = 0; export function main(d) { count += d.by || 1; return {count} }`})
			if r.status != 201 {
				t.Fatalf("deploy: %d %s", r.status, r.body)
			}
			id, u := r.json(t)["id"].(string), r.json(t)["uuid"].(string)
			call := func() response {
				return s.do("POST", "/v1/fn/"+u, `{}`, map[string]string{"Content-Type": "application/json"})
			}
			for want := 1; want <= 3; want++ {
				if r := call(); r.status != 200 || string(r.body) != fmt.Sprintf(`{"count":%d}`, want) {
					t.Fatalf("call %d: %d %s", want, r.status, r.body)
				}
			}
			if r := s.admin("GET", "/v1/functions/"+id+"/worker", nil); r.status != 200 || r.json(t)["state"] != "running" {
				t.Fatalf("status: %d %s", r.status, r.body)
			}
			if r := s.admin("POST", "/v1/functions/"+id+"/stop", nil); r.status != 200 || r.json(t)["state"] != "stopped" {
				t.Fatalf("stop: %d %s", r.status, r.body)
			}
			if r := call(); r.status != 503 || r.errorCode(t) != workers.CodeStopped {
				t.Fatalf("stopped worker answered: %d %s", r.status, r.body)
			}
			s.admin("POST", "/v1/functions/"+id+"/start", nil)
			if r := call(); string(r.body) != `{"count":1}` {
				t.Fatalf("after start, state should be fresh: %d %s", r.status, r.body)
			}
			call()
			s.admin("PUT", "/v1/functions/"+id, map[string]any{"source": `let count = 100; export function main() { return {count: ++count} }`})
			if r := call(); string(r.body) != `{"count":101}` {
				t.Fatalf("new version: %d %s", r.status, r.body)
			}
			plain, _ := s.deploy("plain", "script", `function main() { return 1 }`)
			if r := s.admin("POST", "/v1/functions/"+plain+"/stop", nil); r.status != 400 || r.errorCode(t) != "not_a_worker" {
				t.Fatalf("stop of a Script: %d %s", r.status, r.body)
			}
		})
	}
}
