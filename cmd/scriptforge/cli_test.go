package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/scriptforge/scriptforge/functions/postgres/pgtest"
)

// The CLI is tested as users run it: the real binary, a real server.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "scriptforge-cli")
	if err != nil {
		panic(err)
	}
	// Readable by others, so that a root gateway can run its sandboxes as nobody.
	if err := os.Chmod(dir, 0o755); err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "scriptforge")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the CLI: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// gatewayProcess is `scriptforge serve` in a temp data dir, started with no
// admin key in the environment so that it bootstraps and prints one.
type gatewayProcess struct {
	cmd    *exec.Cmd
	url    string
	key    string
	stderr *bytes.Buffer
}

func startGateway(t *testing.T, flags ...string) *gatewayProcess {
	t.Helper()
	g := launchGateway(t, nil, flags...)
	if g.key == "" {
		t.Fatalf("no admin key printed on first start: %s", g.stderr)
	}
	return g
}

// launchGateway starts `scriptforge serve` with env added to the
// environment; g.key is the admin key it printed, if it made one.
func launchGateway(t *testing.T, env []string, flags ...string) *gatewayProcess {
	t.Helper()
	addr := freeAddr(t)
	args := append([]string{"serve", "--addr", addr, "--data-dir", t.TempDir(), "--log-format", "text", "--shutdown-grace", "5s"}, flags...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(withoutEnv(withoutEnv(os.Environ(), "SCRIPTFORGE_ADMIN_KEY"), "DATABASE_URL"), env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &gatewayProcess{cmd: cmd, url: "http://" + addr, stderr: &bytes.Buffer{}}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	keyRE := regexp.MustCompile(`sfk_[A-Za-z0-9_-]{32}`)
	lines := bufio.NewScanner(pipe)
	deadline := time.After(20 * time.Second)
	ready := make(chan struct{})
	go func() {
		for lines.Scan() {
			line := lines.Text()
			g.stderr.WriteString(line + "\n")
			if k := keyRE.FindString(line); k != "" && g.key == "" {
				g.key = k
			}
			if strings.Contains(line, "gateway listening") {
				close(ready)
				break
			}
		}
		_, _ = io.Copy(io.Discard, pipe)
	}()
	select {
	case <-ready:
	case <-deadline:
		t.Fatalf("gateway did not start: %s", g.stderr)
	}
	return g
}

func withoutEnv(env []string, name string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, name+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// cli runs the binary against the gateway and returns stdout, stderr and the exit code.
func (g *gatewayProcess) cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(withoutEnv(os.Environ(), "SCRIPTFORGE_ADMIN_KEY"), "SCRIPTFORGE_URL="+g.url, "SCRIPTFORGE_ADMIN_KEY="+g.key)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCLIAgainstServer(t *testing.T) {
	g := startGateway(t)
	file := writeFile(t, "route.js", `function main(data) { console.log("seen"); data.routing.carrier = process.env.CARRIER; return data }`)

	out, errOut, code := g.cli(t, "deploy", file, "--env", "CARRIER=acme")
	if code != 0 || !strings.Contains(out, "Created route: version 1 is live") || !strings.Contains(errOut, "Deploying") {
		t.Fatalf("deploy: %d\n%s\n%s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]

	out, _, code = g.cli(t, "invoke", uuid, "--data", `{"routing":{"to":"+15550100"}}`)
	var got map[string]map[string]string
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || got["routing"]["carrier"] != "acme" || got["routing"]["to"] != "+15550100" {
		t.Fatalf("invoke: %d %s", code, out)
	}

	// Deploying the same name again makes version 2; rollback brings back 1.
	if err := os.WriteFile(file, []byte(`function main() { return "v2" }`), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, code = g.cli(t, "deploy", file)
	if code != 0 || !strings.Contains(out, "Updated route: version 2 is live") {
		t.Fatalf("redeploy: %d %s", code, out)
	}
	if out, _, _ = g.cli(t, "invoke", uuid); strings.TrimSpace(out) != `"v2"` {
		t.Fatalf("v2 not live: %s", out)
	}
	out, _, code = g.cli(t, "fn", "versions", id)
	if code != 0 || !regexp.MustCompile(`(?m)^2\s+\*`).MatchString(out) || !regexp.MustCompile(`(?m)^1\s`).MatchString(out) {
		t.Fatalf("versions: %s", out)
	}
	if out, _, code = g.cli(t, "fn", "rollback", id, "1"); code != 0 || !strings.Contains(out, "version 1 is live") {
		t.Fatalf("rollback: %d %s", code, out)
	}
	if out, _, _ = g.cli(t, "invoke", uuid, "--data", `{"routing":{}}`); !strings.Contains(out, "acme") {
		t.Fatalf("rollback did not take effect: %s", out)
	}
	out, _, code = g.cli(t, "fn", "list")
	if code != 0 || !strings.Contains(out, "route") || !strings.Contains(out, id) {
		t.Fatalf("list: %s", out)
	}
	out, _, code = g.cli(t, "fn", "show", id)
	if code != 0 || !strings.Contains(out, "CARRIER=acme") || !strings.Contains(out, "process.env.CARRIER") || strings.Contains(out, "Callback:") {
		t.Fatalf("show: %s", out)
	}
	// A setting: a redeploy with only --callback-url keeps the code live.
	if out, errOut, code = g.cli(t, "deploy", file, "--callback-url", "https://partner.example.com/results"); code != 0 {
		t.Fatalf("deploy --callback-url: %d %s %s", code, out, errOut)
	}
	if out, _, _ = g.cli(t, "fn", "show", id); !strings.Contains(out, "Callback: https://partner.example.com/results") {
		t.Fatalf("show after --callback-url: %s", out)
	}
	if _, errOut, code = g.cli(t, "deploy", file, "--callback-url", "ftp://x"); code != 1 || !strings.Contains(errOut, "callback_url") {
		t.Fatalf("deploy with a bad --callback-url: %d %s", code, errOut)
	}
	// Errors say what went wrong and exit 1.
	_, errOut, code = g.cli(t, "invoke", "8f14e45f-ceea-467f-a8f2-0e2c1f3b9a11")
	if code != 1 || !strings.Contains(errOut, "HTTP 404") {
		t.Fatalf("unknown uuid: %d %s", code, errOut)
	}
	_, errOut, code = g.cli(t, "fn", "list", "--key", "sfk_wrong")
	if code != 1 || !strings.Contains(errOut, "SCRIPTFORGE_ADMIN_KEY") {
		t.Fatalf("bad key: %d %s", code, errOut)
	}
	_, errOut, code = g.cli(t, "fn", "list", "--server", "http://"+freeAddr(t))
	if code != 1 || !strings.Contains(errOut, "is 'scriptforge serve' running?") {
		t.Fatalf("no server: %d %s", code, errOut)
	}
}

// Sandboxes of a root gateway run as nobody, with nothing of its environment.
func TestSandboxProcesses(t *testing.T) {
	g := startGateway(t)
	var kids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) > 1 && fields[1] == fmt.Sprint(g.cmd.Process.Pid) {
			pid := 0
			fmt.Sscan(e.Name(), &pid)
			kids = append(kids, pid)
		}
	}
	if len(kids) == 0 {
		t.Fatal("no sandbox processes")
	}
	for _, pid := range kids {
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		environ, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		// Nothing of the gateway's: only the C library's arena bound
		// the pool sets itself.
		if string(environ) != "MALLOC_ARENA_MAX=2\x00" {
			t.Errorf("sandbox %d has an environment: %q", pid, environ)
		}
		if os.Geteuid() == 0 && !regexp.MustCompile(`(?m)^Uid:\s+65534\s`).Match(status) {
			t.Errorf("sandbox %d does not run as nobody:\n%s", pid, status)
		}
		// Its pipes to the gateway are non-blocking (waited on with epoll,
		// not by a thread parked in read): O_NONBLOCK is octal 04000.
		// (A sandbox just started may not have got there yet.)
		for _, fd := range []int{0, 1} {
			var info []byte
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
				info, _ = os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
				m := regexp.MustCompile(`(?m)^flags:\s+([0-7]+)$`).FindSubmatch(info)
				var flags int
				if m != nil {
					fmt.Sscanf(string(m[1]), "%o", &flags)
				}
				if flags&syscall.O_NONBLOCK != 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Errorf("sandbox %d: fd %d is blocking: %s", pid, fd, info)
					break
				}
			}
		}
	}
}

// --fetch-allow reaches the sandbox processes: an App fetches from a
// loopback server only when the operator allowed it.
func TestFetchAllowReachesSandboxes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "on-premise") }))
	defer srv.Close()
	file := writeFile(t, "fetcher.js", `export default async () => (await fetch("`+srv.URL+`")).text()`)
	for _, c := range []struct {
		flags []string
		want  string
	}{
		{nil, "is not allowed: it is a loopback address"},
		{[]string{"--fetch-allow", "127.0.0.1/32"}, `"on-premise"`},
	} {
		g := startGateway(t, c.flags...)
		out, errOut, code := g.cli(t, "deploy", file, "--type", "app")
		if code != 0 {
			t.Fatalf("deploy: %d %s %s", code, out, errOut)
		}
		uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
		out, errOut, _ = g.cli(t, "invoke", uuid)
		if !strings.Contains(out+errOut, c.want) {
			t.Errorf("with %v: want %q, got %s %s", c.flags, c.want, out, errOut)
		}
	}
}

// A Worker keeps its state between calls and is stopped and started from the CLI.
func TestCLIWorker(t *testing.T) {
	g := startGateway(t)
	file := writeFile(t, "counter.js", `let n = 0; export function main() { return ++n }`)
	out, _, code := g.cli(t, "deploy", file, "--type", "worker")
	if code != 0 {
		t.Fatalf("deploy: %s", out)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	for want := 1; want <= 2; want++ {
		if out, _, _ := g.cli(t, "invoke", uuid); strings.TrimSpace(out) != fmt.Sprint(want) {
			t.Fatalf("call %d: %s", want, out)
		}
	}
	if out, _, code := g.cli(t, "fn", "worker", id); code != 0 || !strings.Contains(out, "running, 0 restarts") {
		t.Fatalf("worker: %d %s", code, out)
	}
	if out, _, code := g.cli(t, "fn", "stop", id); code != 0 || !strings.Contains(out, "stopped") {
		t.Fatalf("stop: %d %s", code, out)
	}
	if _, errOut, code := g.cli(t, "invoke", uuid); code != 1 || !strings.Contains(errOut, "worker_stopped") {
		t.Fatalf("stopped worker: %d %s", code, errOut)
	}
	g.cli(t, "fn", "start", id)
	if out, _, _ := g.cli(t, "invoke", uuid); strings.TrimSpace(out) != "1" {
		t.Fatalf("after start: %s", out)
	}
}

func TestCLIRunLocally(t *testing.T) {
	g := &gatewayProcess{} // no server: run needs none
	ok := writeFile(t, "ok.js", `export async function main(data) { console.warn("hi", process.env.X); return {twice: data.n * 2} }`)
	out, errOut, code := g.cli(t, "run", ok, "--type", "app", "--data", `{"n":21}`, "--env", "X=y")
	if code != 0 || !strings.Contains(out, `"twice": 42`) || !strings.Contains(errOut, "warn  hi y") {
		t.Fatalf("run: %d\n%s\n%s", code, out, errOut)
	}
	bad := writeFile(t, "bad.js", "function main() {\n  return 1 +;\n}")
	_, errOut, code = g.cli(t, "run", bad)
	if code != 1 || !strings.Contains(errOut, "line 2, column 13") {
		t.Fatalf("compile error: %d %s", code, errOut)
	}
	loop := writeFile(t, "loop.js", `function main() { for (;;) {} }`)
	_, errOut, code = g.cli(t, "run", loop, "--timeout", "100ms")
	if code != 1 || !strings.Contains(errOut, "time limit of 100 ms") {
		t.Fatalf("timeout: %d %s", code, errOut)
	}
	out, _, code = g.cli(t, "deploy", "--help")
	if code != 0 || !strings.Contains(out, "--private-env") || !strings.Contains(out, "Example") {
		t.Fatalf("help: %s", out)
	}
}

// SIGTERM lets a run in flight finish before the process exits.
func TestGracefulShutdown(t *testing.T) {
	// The run waits on a local server that answers only once the gateway
	// has stopped listening, so it is in flight when SIGTERM comes and
	// still in flight when the shutdown has begun, however slow the machine.
	entered, open := make(chan struct{}, 1), make(chan struct{})
	hold := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-open:
		case <-r.Context().Done():
		}
	}))
	defer hold.Close()
	released := false
	release := func() {
		if !released {
			released = true
			close(open)
		}
	}
	defer release()
	g := startGateway(t, "--fetch-allow", "127.0.0.1/32")
	slow := writeFile(t, "slow.js", `export default async () => { await fetch("`+hold.URL+`"); return "finished" }`)
	out, _, code := g.cli(t, "deploy", slow, "--type", "app", "--timeout", "20s")
	if code != 0 {
		t.Fatalf("deploy: %s", out)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	type result struct {
		status int
		body   string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.Post(g.url+"/v1/fn/"+uuid, "application/json", strings.NewReader("{}"))
		if err != nil {
			done <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		done <- result{status: resp.StatusCode, body: string(b)}
	}()
	select {
	case <-entered: // the run is under way
	case r := <-done:
		t.Fatalf("the run ended before it was held: %+v", r)
	case <-time.After(10 * time.Second):
		t.Fatal("the run did not start")
	}
	if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Shutting down, the gateway closes its listener: new connections are
	// refused while the run goes on.
	addr := strings.TrimPrefix(g.url, "http://")
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the gateway still takes connections 10 s after SIGTERM")
		}
	}
	release()
	r := <-done
	if r.err != nil || r.status != 200 || r.body != `"finished"` {
		t.Fatalf("in-flight run cut short: %+v", r)
	}
	exited := make(chan error, 1)
	go func() { exited <- g.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("server exit: %v\n%s", err, g.stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not exit after SIGTERM")
	}
}

// An operator makes a tenant and its keys; the tenant deploys a function
// that needs an API key, which invoke sends with --token.
func TestCLITenantsAndKeys(t *testing.T) {
	g := startGateway(t)
	out, errOut, code := g.cli(t, "tenant", "create", "acme", "--name", "Acme Corp", "--rate", "50")
	if code != 0 || !strings.Contains(out, "Created tenant acme (Acme Corp)") {
		t.Fatalf("tenant create: %d %s %s", code, out, errOut)
	}
	out, errOut, code = g.cli(t, "tenant", "key", "create", "acme", "--name", "deployer", "--scope", "functions:write", "--scope", "functions:read")
	deployer := strings.TrimSpace(out)
	if code != 0 || !strings.HasPrefix(deployer, "sfk_") || !strings.Contains(errOut, "shown this once") {
		t.Fatalf("key create: %d %q %s", code, out, errOut)
	}
	out, _, _ = g.cli(t, "tenant", "key", "create", "acme", "--name", "caller", "--scope", "functions:invoke")
	caller := strings.TrimSpace(out)
	if out, errOut, code := g.cli(t, "whoami", "--key", deployer); code != 0 || !strings.Contains(out, "Tenant:  acme") || !strings.Contains(out, "Grants:  functions:read, functions:write") {
		t.Fatalf("whoami: %d %s %s", code, out, errOut)
	}

	file := writeFile(t, "partner.js", `export function main(d, ctx) { return {tenant: ctx.auth.tenant} }`)
	out, errOut, code = g.cli(t, "deploy", file, "--type", "app", "--auth", "apikey", "--rate", "5", "--key", deployer)
	if code != 0 || !strings.Contains(out, "Created partner") {
		t.Fatalf("deploy as the tenant: %d %s %s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	if out, _, _ := g.cli(t, "fn", "show", id, "--key", deployer); !strings.Contains(out, "Auth:     apikey") || !strings.Contains(out, "rate=5") {
		t.Fatalf("show: %s", out)
	}
	// Without the token: 401, and the admin key in the environment is not sent.
	if _, errOut, code := g.cli(t, "invoke", uuid); code != 1 || !strings.Contains(errOut, "HTTP 401") {
		t.Fatalf("invoke without a token: %d %s", code, errOut)
	}
	if out, errOut, code := g.cli(t, "invoke", uuid, "--token", caller); code != 0 || !strings.Contains(out, `"tenant": "acme"`) {
		t.Fatalf("invoke with the key: %d %s %s", code, out, errOut)
	}
	// A CPU budget, with the other limits (a set replaces them all).
	if out, errOut, code := g.cli(t, "tenant", "set", "acme", "--rate", "50", "--cpu-ms", "250"); code != 0 || !strings.Contains(out, `"cpu_ms": 250`) {
		t.Fatalf("tenant set --cpu-ms: %d %s %s", code, out, errOut)
	}
	// fn runs shows each run's trigger, status, version, and CPU time next to its duration.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, errOut, _ := g.cli(t, "fn", "runs", id, "--key", deployer)
		if regexp.MustCompile(`(?m)  http\s+200\s+1\s+[0-9.]+(µs|ms|s)\s+[0-9.]+(µs|ms|s)\s+\S+\s*$`).MatchString(out) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("fn runs: %s %s", out, errOut)
		}
	}
	out, _, code = g.cli(t, "tenant", "key", "list", "acme")
	if code != 0 || !strings.Contains(out, "deployer") || !strings.Contains(out, "caller") || strings.Contains(out, caller) {
		t.Fatalf("key list: %s", out)
	}
	keyID := regexp.MustCompile(`(?m)^(key_\S+)\s+caller`).FindStringSubmatch(out)
	if keyID == nil {
		t.Fatalf("no caller key in %s", out)
	}
	if out, _, code := g.cli(t, "tenant", "key", "revoke", "acme", keyID[1]); code != 0 || !strings.Contains(out, "Revoked") {
		t.Fatalf("revoke: %d %s", code, out)
	}
	if _, errOut, code := g.cli(t, "invoke", uuid, "--token", caller); code != 1 || !strings.Contains(errOut, "HTTP 401") {
		t.Fatalf("revoked key: %d %s", code, errOut)
	}
	// JWT settings from a file; then a function with --auth jwt takes a token.
	secret := "cli-test-secret-0123456789abcdef0123"
	jwtFile := writeFile(t, "jwt.json", `{"keys":[{"alg":"HS256","secret":"`+secret+`"}]}`)
	if out, errOut, code := g.cli(t, "tenant", "set", "acme", "--jwt", jwtFile); code != 0 || strings.Contains(out, secret) || !strings.Contains(out, `"HS256"`) {
		t.Fatalf("tenant set --jwt: %d %s %s", code, out, errOut)
	}
	jwtFn := writeFile(t, "jwtfn.js", `export function main(d, ctx) { return {sub: ctx.auth.sub} }`)
	out, errOut, code = g.cli(t, "deploy", jwtFn, "--type", "app", "--auth", "jwt", "--key", deployer)
	if code != 0 {
		t.Fatalf("deploy --auth jwt: %d %s %s", code, out, errOut)
	}
	jwtUUID := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "cli", "exp": time.Now().Add(time.Hour).Unix()}).SignedString([]byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	if out, errOut, code := g.cli(t, "invoke", jwtUUID, "--token", token); code != 0 || !strings.Contains(out, `"sub": "cli"`) {
		t.Fatalf("invoke with a JWT: %d %s %s", code, out, errOut)
	}

	// A tenant key cannot make tenants.
	if _, errOut, code := g.cli(t, "tenant", "create", "evil", "--key", deployer); code != 1 || !strings.Contains(errOut, "HTTP 403") {
		t.Fatalf("tenant create by a tenant: %d %s", code, errOut)
	}
}

// A function that kills its sandbox twice is quarantined: fn show says
// so, and the operator lifts it with fn unquarantine.
func TestCLIQuarantine(t *testing.T) {
	g := startGateway(t, "--sandboxes", "1", "--sandbox-memory", "128")
	file := writeFile(t, "bomb.js", `function main() { return "x".repeat(450e6).length }`)
	out, errOut, code := g.cli(t, "deploy", file, "--memory", "1024")
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	for i := 0; i < 2; i++ {
		if _, errOut, code := g.cli(t, "invoke", uuid); code != 1 || !strings.Contains(errOut, "memory_limit") {
			t.Fatalf("bomb %d: %d %s", i, code, errOut)
		}
	}
	out, _, code = g.cli(t, "fn", "show", id)
	if code != 0 || !regexp.MustCompile(`Quarantine: until .* \(since .*, 2 offences\): it killed its sandbox 2 times`).MatchString(out) {
		t.Fatalf("show: %d %s", code, out)
	}
	if out, errOut, code := g.cli(t, "fn", "unquarantine", id); code != 0 || !strings.Contains(out, "quarantine lifted") {
		t.Fatalf("unquarantine: %d %s %s", code, out, errOut)
	}
	if out, _, _ := g.cli(t, "fn", "show", id); strings.Contains(out, "Quarantine") {
		t.Fatalf("still quarantined: %s", out)
	}
	if _, errOut, code := g.cli(t, "fn", "unquarantine", id); code != 1 || !strings.Contains(errOut, "not quarantined") {
		t.Fatalf("unquarantine again: %d %s", code, errOut)
	}
}

// deploy --input-schema/--output-schema set the function's contract; the
// gateway then refuses data that does not match, and "" removes it.
func TestCLIContract(t *testing.T) {
	g := startGateway(t)
	file := writeFile(t, "orders.js", `function main(d) { return {total: d.qty * 2} }`)
	in := writeFile(t, "in.json", `{"type":"object","required":["qty"],"properties":{"qty":{"type":"integer","minimum":1}}}`)
	out := writeFile(t, "out.json", `{"type":"object","required":["total"]}`)
	stdout, errOut, code := g.cli(t, "deploy", file, "--input-schema", in, "--output-schema", out)
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, stdout, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(stdout)[1]
	if stdout, _, code = g.cli(t, "invoke", uuid, "--data", `{"qty":2}`); code != 0 || !regexp.MustCompile(`"total":\s*4`).MatchString(stdout) {
		t.Fatalf("valid: %d %s", code, stdout)
	}
	if _, errOut, code = g.cli(t, "invoke", uuid, "--data", `{"qty":0}`); code != 1 || !strings.Contains(errOut, "invalid_input") || !strings.Contains(errOut, "/qty") {
		t.Fatalf("invalid: %d %s", code, errOut)
	}
	bad := writeFile(t, "bad.json", `{"$ref":"#"}`)
	if _, errOut, code = g.cli(t, "deploy", file, "--input-schema", bad); code != 1 || !strings.Contains(errOut, "$ref loop") {
		t.Fatalf("bad schema: %d %s", code, errOut)
	}
	if _, _, code = g.cli(t, "deploy", file, "--input-schema", ""); code != 0 {
		t.Fatalf("removing the schema: %d", code)
	}
	if stdout, _, code = g.cli(t, "invoke", uuid, "--data", `{"qty":0}`); code != 0 || !regexp.MustCompile(`"total":\s*0`).MatchString(stdout) {
		t.Fatalf("after removing: %d %s", code, stdout)
	}
}

// Two gateways on one PostgreSQL database, the first chosen with
// --database-url, the second with DATABASE_URL: the first makes the admin
// key, the second finds it and serves what the first deployed.
func TestServeOnPostgres(t *testing.T) {
	url := pgtest.URL(t)
	a := startGateway(t, "--database-url", url, "--isolation", "inprocess")
	if !strings.Contains(a.stderr.String(), "search_path=") {
		t.Fatalf("the log does not name the PostgreSQL store: %s", a.stderr)
	}
	file := writeFile(t, "hello.js", `function main() { return "hello" }`)
	out, errOut, code := a.cli(t, "deploy", file)
	if code != 0 {
		t.Fatalf("deploy: %d\n%s\n%s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]

	b := launchGateway(t, []string{"DATABASE_URL=" + url}, "--isolation", "inprocess")
	if b.key != "" {
		t.Fatalf("the second gateway made another admin key: %s", b.stderr)
	}
	b.key = a.key
	if out, errOut, code := b.cli(t, "invoke", uuid); code != 0 || strings.TrimSpace(out) != `"hello"` {
		t.Fatalf("invoke through the second gateway: %d %s %s", code, out, errOut)
	}
}
