package sandbox

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// constChildEnv makes the test child serve with constExecutor instead of
// the engine, so that a benchmark measures the boundary alone: frames,
// pipes, dispatch and the goroutine handoffs on both sides.
const constChildEnv = "SCRIPTFORGE_SANDBOX_TEST_CONST"

// constExecutor answers every invocation with typicalResult. Like the
// engine it wants the code once per hash, so the needCode path is real.
type constExecutor struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (c *constExecutor) Execute(_ context.Context, inv *functions.Invocation) (*functions.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if inv.Code != "" {
		c.seen[inv.Hash] = true
	} else if !c.seen[inv.Hash] {
		return nil, engine.ErrNoCode
	}
	return typicalResult(), nil
}

// runConstChild is the test child's body under constChildEnv.
func runConstChild() error {
	return serve(os.Stdin, os.Stdout, &constExecutor{seen: map[string]bool{}}, newKVClient(), nil, nil, nil)
}

// typicalInvocation is a call of an App through the gateway: a dozen
// headers, a query, a few env vars and a small JSON body.
func typicalInvocation() *functions.Invocation {
	return &functions.Invocation{
		RequestID: "01938a1c-7d2e-7b3f-9c4d-5e6f7a8b9c0d",
		Function: functions.FunctionInfo{ID: "fn_01938a1c7d2e", UUID: "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
			Name: "orders", Tenant: "acme", Version: 7},
		Type:     functions.TypeApp,
		Code:     `export function main(data) { return {ok: true, n: data.n} }`,
		Hash:     "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Env:      []functions.EnvVar{{Name: "API_URL", Value: "https://api.example.com", Flag: functions.EnvPlain}, {Name: "API_KEY", Value: "sk_live_0123456789abcdef", Flag: functions.EnvPrivate}, {Name: "REGION", Value: "eu-west-1", Flag: functions.EnvPlain}},
		Timeout:  2 * time.Second,
		MemoryMB: 128,
		Data:     json.RawMessage(`{"n":2,"customer":"c_1234","items":[{"sku":"A-1","qty":3},{"sku":"B-7","qty":1}]}`),
		Request: functions.RequestInfo{
			Method: "POST", URL: "/v1/fn/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9?lang=en&debug=1", Path: "/v1/fn/5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9",
			Query: map[string][]string{"lang": {"en"}, "debug": {"1"}},
			Headers: map[string]string{
				"host": "gw.example.com", "user-agent": "curl/8.5.0", "accept": "*/*", "content-type": "application/json",
				"content-length": "86", "x-request-id": "01938a1c-7d2e-7b3f-9c4d-5e6f7a8b9c0d", "x-forwarded-for": "203.0.113.7",
				"accept-encoding": "gzip, deflate, br", "connection": "keep-alive", "x-trace": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
			},
			IP: "203.0.113.7",
		},
	}
}

// typicalResult is what a trivial App answers: a small JSON value, one
// log line.
func typicalResult() *functions.Result {
	return &functions.Result{
		JSON:     json.RawMessage(`{"ok":true,"n":2}`),
		Logs:     []functions.LogLine{{Time: time.Date(2026, 12, 1, 22, 0, 0, 123456789, time.UTC), Level: "info", Message: "order c_1234: 2 items"}},
		Duration: 41 * time.Microsecond,
	}
}

// BenchmarkPoolBoundary is a round trip through a real sandbox process
// whose executor answers a constant: what the boundary itself costs, on
// each side, serially (latency) and from 32 callers (throughput, where
// writes and reads batch).
func BenchmarkPoolBoundary(b *testing.B) {
	for _, bc := range []struct {
		name     string
		parallel bool
	}{{"serial", false}, {"parallel", true}} {
		b.Run(bc.name, func(b *testing.B) {
			p := New(Config{
				Size: 1, MemoryMB: 256, Grace: 300 * time.Millisecond,
				Env:     append([]string{childEnv + "=256", constChildEnv + "=1"}, profileEnv()...),
				Command: testChildCommand,
			})
			if err := p.Start(); err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			inv := typicalInvocation()
			if _, err := p.Execute(context.Background(), inv); err != nil {
				b.Fatal(err)
			}
			pid := p.slots[0].current().cmd.Process.Pid
			childBefore, selfBefore := cpuTicks(b, pid), selfCPU()
			b.ReportAllocs()
			b.ResetTimer()
			if bc.parallel {
				b.SetParallelism(16)
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := p.Execute(context.Background(), inv); err != nil {
							b.Error(err)
							return
						}
					}
				})
			} else {
				for i := 0; i < b.N; i++ {
					if _, err := p.Execute(context.Background(), inv); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			child := time.Duration(cpuTicks(b, pid)-childBefore) * 10 * time.Millisecond
			self := selfCPU() - selfBefore
			b.ReportMetric(float64(child.Nanoseconds())/1e3/float64(b.N), "sandbox-µs/op")
			b.ReportMetric(float64(self.Nanoseconds())/1e3/float64(b.N), "caller-µs/op")
		})
	}
}

// garbageChildEnv makes the test child answer its first request with a
// frame that does not decode.
const garbageChildEnv = "SCRIPTFORGE_SANDBOX_TEST_GARBAGE"

func runGarbageChild() error {
	in := bufio.NewReader(os.Stdin)
	if _, err := readFrame(in); err != nil {
		return err
	}
	os.Stdout.Write([]byte{0, 0, 0, 3, kindResult, 1, 9})
	_, err := io.Copy(io.Discard, in)
	return err
}

// A sandbox that answers with a frame that does not decode is stopped,
// and its run fails with a clear error instead of waiting for the watchdog.
func TestMalformedAnswerStopsTheSandbox(t *testing.T) {
	p := New(Config{Size: 1, MemoryMB: 256, Grace: 5 * time.Second,
		Env: []string{childEnv + "=256", garbageChildEnv + "=1"}, Command: testChildCommand})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	start := time.Now()
	_, err := p.Execute(context.Background(), typicalInvocation())
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != CodeSandboxCrash || !strings.Contains(re.Message, "malformed") {
		t.Fatalf("got %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %v", took)
	}
}

// A sandbox that has evicted a version record asks for it again, and the
// call still runs; so does one whose code was evicted.
func TestEvictedRecordIsSentAgain(t *testing.T) {
	p := New(Config{Size: 1, MemoryMB: 256, Grace: 300 * time.Millisecond,
		Env: []string{childEnv + "=256", constChildEnv + "=1"}, Command: testChildCommand})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	first := typicalInvocation()
	if _, err := p.Execute(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	// More versions than the sandbox has room for: the first one's record
	// goes. (Big environments fill its bytes long before the gateway's
	// count of sent records, which is as large as the sandbox's.)
	env := []functions.EnvVar{{Name: "PAD", Value: strings.Repeat("x", 64<<10), Flag: functions.EnvPlain}}
	for i := 0; i < maxVersionBytes/(64<<10)+10; i++ {
		inv := typicalInvocation()
		inv.Function.ID = fmt.Sprint("fn_", i)
		inv.Env = env
		if _, err := p.Execute(context.Background(), inv); err != nil {
			t.Fatal(err)
		}
	}
	proc := p.slots[0].current()
	if v, ok := proc.versions.Get(keyOf(first)); !ok || !v.confirmed.Load() {
		t.Fatal("the gateway forgot the record: the test would prove nothing")
	}
	res, err := p.Execute(context.Background(), first)
	if err != nil || string(res.JSON) != string(typicalResult().JSON) {
		t.Fatalf("after eviction: %v %v", res, err)
	}
}

// The sandbox keeps a version's record, but a call whose env changed
// without a new hash (even in the same slice) runs with the env it carries.
func TestVersionRecordFollowsChanges(t *testing.T) {
	p := newPool(t, 1, 256)
	inv := invocation(t, "acme", `exports.main = () => process.env.GREETING`, 64, time.Second)
	inv.Env = []functions.EnvVar{{Name: "GREETING", Flag: functions.EnvPlain}}
	for _, greeting := range []string{"hello", "hello", "bonjour", "hello"} {
		inv.Env[0].Value = greeting // in place: the gateway's note must not follow
		res, err := p.Execute(context.Background(), inv)
		if err != nil || string(res.JSON) != `"`+greeting+`"` {
			t.Fatalf("%s: %v %v", greeting, res, err)
		}
	}
}
