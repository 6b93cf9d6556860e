package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// The quarantine rules, on a clock the test moves: two kills within ten
// minutes quarantine, the cool-down doubles per offence up to its cap, an
// offence in quarantine extends it, a lift forgets, a quiet day forgets.
func TestQuarantineRules(t *testing.T) {
	type step struct {
		at   time.Duration // since the start
		lift bool          // else a kill
	}
	kills := func(ats ...time.Duration) []step {
		var out []step
		for _, at := range ats {
			out = append(out, step{at: at})
		}
		return out
	}
	cases := []struct {
		name     string
		steps    []step
		checkAt  time.Duration
		in       bool
		cooldown time.Duration // Until less the last kill
		offences int
		anew     bool // a new quarantine began at the last kill
	}{
		{"one kill", kills(0), time.Second, false, 0, 0, false},
		{"two kills within the window", kills(0, 5*time.Minute), 5*time.Minute + time.Second, true, time.Minute, 2, false},
		{"two kills too far apart", kills(0, 11*time.Minute), 11*time.Minute + time.Second, false, 0, 0, false},
		{"an offence in quarantine doubles it", kills(0, time.Minute, 90*time.Second), 91 * time.Second, true, 2 * time.Minute, 3, false},
		{"four offences", kills(0, time.Second, 2*time.Second, 3*time.Second), 4 * time.Second, true, 4 * time.Minute, 4, false},
		{"capped at an hour", kills(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), time.Second, true, time.Hour, 11, false},
		{"it ends", kills(0, time.Minute), 2*time.Minute + time.Second, false, 0, 0, false},
		{"a repeat offender gets longer", kills(0, time.Minute, 5*time.Minute), 5*time.Minute + time.Second, true, 2 * time.Minute, 3, true},
		{"lifted", append(kills(0, time.Minute), step{at: 2 * time.Minute, lift: true}), 2*time.Minute + time.Second, false, 0, 0, false},
		{"a lift forgets the offences", append(append(kills(0, time.Minute), step{at: 61 * time.Second, lift: true}), kills(62*time.Second)...),
			63 * time.Second, false, 0, 0, false},
		{"a quiet day forgets", kills(0, 25*time.Hour, 25*time.Hour+time.Minute), 25*time.Hour + 61*time.Second, true, time.Minute, 2, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			var now time.Time
			var ended []string
			qs := newQuarantines(quarantineRules{kills: 2, window: 10 * time.Minute, cooldown: time.Minute, max: time.Hour, forget: 24 * time.Hour},
				func(fn string) { ended = append(ended, fn) })
			defer qs.close()
			qs.now = func() time.Time { return now }
			var last time.Time
			for _, st := range tc.steps {
				now = start.Add(st.at)
				if st.lift {
					if !qs.lift("fn") {
						t.Fatal("lift found no quarantine")
					}
					continue
				}
				qs.offence("fn", "ran it out of memory")
				last = now
			}
			now = start.Add(tc.checkAt)
			q, in := qs.get("fn")
			if in != tc.in {
				t.Fatalf("quarantined %v, want %v (%+v)", in, tc.in, q)
			}
			if !in {
				return
			}
			if got := q.Until.Sub(last); got != tc.cooldown || q.Offences != tc.offences {
				t.Fatalf("cool-down %v with %d offences, want %v with %d", got, q.Offences, tc.cooldown, tc.offences)
			}
			if !strings.Contains(q.Reason, "ran it out of memory") || q.Since.After(last) || (tc.anew && !q.Since.Equal(last)) {
				t.Fatalf("quarantine %+v", q)
			}
			if len(ended) != 0 {
				t.Fatalf("a quarantine's sandbox was given back: %v", ended)
			}
			if st := qs.stats(); st.Active != 1 || st.Total == 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// A quarantine whose timer has not yet run is over all the same: the next
// kill finds it ended (and gives its sandbox back) before it counts.
func TestQuarantineOverBeforeItsTimer(t *testing.T) {
	start := time.Now()
	now := start
	var ended []string
	qs := newQuarantines(quarantineRules{kills: 2, window: 10 * time.Minute, cooldown: time.Minute, max: time.Hour, forget: 24 * time.Hour},
		func(fn string) { ended = append(ended, fn) })
	defer qs.close()
	qs.now = func() time.Time { return now }
	qs.offence("fn", "x")
	now = now.Add(time.Minute)
	if _, in := qs.offence("fn", "x"); !in {
		t.Fatal("not quarantined")
	}
	now = now.Add(15 * time.Minute) // long past its end, and the earlier kills out of the window
	if _, in := qs.offence("fn", "x"); in {
		t.Fatal("quarantined by one kill in the window")
	}
	if len(ended) != 1 || qs.stats().Active != 0 {
		t.Fatalf("ended %v, stats %+v", ended, qs.stats())
	}
}

// A quarantine another gateway decided is taken on unless a longer one
// holds here, and ends on time like one of this pool's.
func TestQuarantineImposed(t *testing.T) {
	now := time.Now()
	ended := make(chan string, 1)
	qs := newQuarantines(quarantineRules{kills: 2, window: 10 * time.Minute, cooldown: time.Minute, max: time.Hour, forget: 24 * time.Hour},
		func(fn string) { ended <- fn })
	defer qs.close()
	qs.now = func() time.Time { return now }
	steps := []struct {
		name    string
		until   time.Time
		changed bool
		want    time.Time // the quarantine's end afterwards; zero: none
	}{
		{"already over", now.Add(-time.Second), false, time.Time{}},
		{"taken on", now.Add(5 * time.Minute), true, now.Add(5 * time.Minute)},
		{"a shorter one changes nothing", now.Add(time.Minute), false, now.Add(5 * time.Minute)},
		{"a longer one extends it", now.Add(10 * time.Minute), true, now.Add(10 * time.Minute)},
	}
	for _, st := range steps {
		if got := qs.impose("fn", Quarantine{Since: now, Until: st.until, Reason: "remote"}); got != st.changed {
			t.Fatalf("%s: impose changed %v", st.name, got)
		}
		q, in := qs.get("fn")
		if in != !st.want.IsZero() || !q.Until.Equal(st.want) {
			t.Fatalf("%s: quarantined %v until %v, want until %v", st.name, in, q.Until, st.want)
		}
	}
	if qs.stats().Active != 1 {
		t.Fatalf("stats %+v", qs.stats())
	}
	// Ends at its time: a short one, imposed on another function.
	if !qs.impose("short", Quarantine{Since: now, Until: now.Add(20 * time.Millisecond)}) {
		t.Fatal("not taken on")
	}
	select {
	case fn := <-ended:
		if fn != "short" {
			t.Fatalf("%s ended", fn)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the imposed quarantine did not end")
	}
}

// A memory death is put down to the suspect that could fill the sandbox
// alone, else to the one in flight the longest; runs whose frame the
// sandbox never read are no suspects.
func TestMemoryDeathSuspect(t *testing.T) {
	t0 := time.Now()
	run := func(fn string, memoryMB int, sentAgo time.Duration, end int64) pendingRun {
		return pendingRun{function: fn, tenant: "t", memoryMB: memoryMB, sent: t0.Add(-sentAgo), end: end}
	}
	cases := []struct {
		name string
		runs []pendingRun
		read int64
		want string
	}{
		{"none", nil, 100, ""},
		{"the only one", []pendingRun{run("bomb", 1024, time.Millisecond, 10)}, 100, "bomb"},
		{"the oldest of equals", []pendingRun{run("a", 64, time.Millisecond, 10), run("b", 64, time.Second, 20), run("c", 64, time.Microsecond, 30)}, 100, "b"},
		{"a budget that fills the sandbox before age", []pendingRun{run("old", 64, time.Second, 10), run("bomb", 1024, time.Millisecond, 20)}, 100, "bomb"},
		{"at the line counts", []pendingRun{run("old", 64, time.Second, 10), run("big", 96, time.Millisecond, 20)}, 100, "big"},
		{"never read is no suspect", []pendingRun{run("neighbour", 64, time.Millisecond, 10), run("unread", 1024, time.Second, 200)}, 100, "neighbour"},
		{"not yet queued is no suspect", []pendingRun{run("queued", 1024, time.Second, 0), run("neighbour", 64, time.Millisecond, 10)}, 100, "neighbour"},
		{"nothing read", []pendingRun{run("a", 1024, time.Second, 10)}, 0, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &process{slot: &slot{pool: &Pool{cfg: Config{MemoryMB: 128}}}, pending: map[uint64]pendingRun{}, readBytes: tc.read}
			for i, r := range tc.runs {
				p.pending[uint64(i)] = r
			}
			if got, _ := p.suspect(); got != tc.want {
				t.Fatalf("blamed %q, want %q", got, tc.want)
			}
		})
	}
}

func newPoolWith(t testing.TB, memoryMB int, tune func(*Config)) *Pool {
	t.Helper()
	cfg := Config{
		Size: 1, MemoryMB: memoryMB, Grace: 300 * time.Millisecond,
		Env:     append([]string{childEnv + "=" + strconv.Itoa(memoryMB)}, profileEnv()...),
		Command: testChildCommand,
	}
	if tune != nil {
		tune(&cfg)
	}
	p := New(cfg)
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

// livePid waits for the slot's process and returns its pid.
func livePid(t testing.TB, s *slot) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if proc := s.current(); proc != nil {
			return proc.cmd.Process.Pid
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("no sandbox came up")
	return 0
}

// offences is the kills put down to fn.
func offences(p *Pool, fn string) int {
	p.quarantines.mu.Lock()
	defer p.quarantines.mu.Unlock()
	if o := p.quarantines.offenders[fn]; o != nil {
		return o.offences
	}
	return 0
}

func runCode(err error) string {
	var re *functions.RunError
	if errors.As(err, &re) {
		return re.Code
	}
	if err != nil {
		return err.Error()
	}
	return "ok"
}

// A call that meets a restart waits for the new sandbox and succeeds: one
// handed to a process being stopped, and ones whose frames a process never
// read before it died. Only the run in flight in it fails.
func TestRestartsCostNeighboursNothing(t *testing.T) {
	p := newPoolWith(t, 256, nil)
	ok := invocation(t, "good", `exports.main = () => "alive"`, 64, 5*time.Second)

	old := p.slots[0].current()
	old.stop("the test stopped it")
	res, err := p.Execute(context.Background(), ok)
	if err != nil || string(res.JSON) != `"alive"` {
		t.Fatalf("a call after a stop: %v %v", res, err)
	}
	if pid := livePid(t, p.slots[0]); pid == old.cmd.Process.Pid {
		t.Fatal("the call ran on the stopped process")
	}

	// A run in flight, then a sandbox that reads nothing more (stopped)
	// while calls queue up for it, then its death by SIGKILL (as the
	// kernel's OOM killer would).
	spin := invocation(t, "spinner", `exports.main = () => { for (;;) {} }`, 64, 10*time.Second)
	spun := make(chan error, 1)
	go func() { _, err := p.Execute(context.Background(), spin); spun <- err }()
	proc := p.slots[0].current()
	waitRead(t, proc, 1)
	pid := proc.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// A thread blocked in read that wakes with data waiting reads it
	// before it stops (which would rightly count as delivered): wait
	// until every thread has stopped.
	waitStopped(t, pid)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Execute(context.Background(), ok)
			if err != nil || string(res.JSON) != `"alive"` {
				errs <- errors.New(runCode(err))
			}
		}()
	}
	waitQueued(t, proc, 9) // the spinner's and their frames are in the pipe
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a call queued for the dead sandbox failed: %v", err)
	}
	if err := <-spun; runCode(err) != functions.CodeMemoryLimit {
		t.Errorf("the run in flight: %v", err)
	}
	// One kill is no quarantine, and the only run it held was the spinner's.
	if _, in := p.Quarantined("fn_spinner"); in {
		t.Error("quarantined after one kill")
	}
	if n, m := offences(p, "fn_spinner"), offences(p, "fn_good"); n != 1 || m != 0 {
		t.Errorf("offences: the spinner %d, the neighbour %d", n, m)
	}
}

// waitRead waits until proc holds n runs and has read every byte sent.
func waitRead(t testing.TB, proc *process, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		proc.mu.Lock()
		held := len(proc.pending)
		proc.mu.Unlock()
		unread, err := pipeUnread(proc.pipe)
		if err != nil {
			t.Fatal(err)
		}
		if held == n && unread == 0 && proc.stdin.written.Load() > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs held, %d bytes unread", held, unread)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitQueued waits until proc holds n runs whose frames are all written
// into its pipe.
func waitQueued(t testing.TB, proc *process, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		proc.mu.Lock()
		held, last := len(proc.pending), int64(0)
		for _, run := range proc.pending {
			if run.end == 0 {
				last = -1 // not queued yet
				break
			}
			last = max(last, run.end)
		}
		proc.mu.Unlock()
		written := proc.stdin.written.Load()
		if held == n && last > 0 && written >= last {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs held, frames up to %d queued, %d bytes written", held, last, written)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStopped waits until every thread of process pid is stopped.
func waitStopped(t testing.TB, pid int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil {
			t.Fatal(err)
		}
		stopped := 0
		for _, tk := range tasks {
			b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/stat", pid, tk.Name()))
			if i := strings.LastIndexByte(string(b), ')'); i > 0 && len(b) > i+2 && b[i+2] == 'T' {
				stopped++
			}
		}
		if stopped == len(tasks) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d threads stopped", stopped, len(tasks))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A call waits for a restart no longer than its own time limit.
func TestRestartWaitIsBounded(t *testing.T) {
	p := newPoolWith(t, 256, nil)
	s := p.slots[0]
	proc := s.current()
	// Take the process out of service by hand: no restart comes.
	s.retire(proc)
	inv := invocation(t, "good", `exports.main = () => 1`, 64, 200*time.Millisecond)
	start := time.Now()
	_, err := p.Execute(context.Background(), inv)
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Code != CodeSandboxRestarting || ue.RetryAfter() <= 0 {
		t.Fatalf("want sandbox_restarting, got %v", err)
	}
	if took := time.Since(start); took < 200*time.Millisecond || took > 2*time.Second {
		t.Fatalf("waited %v", took)
	}
}

// A function whose bomb kills the shared sandbox twice is quarantined: it
// then runs in a sandbox of its own, which it alone keeps killing, with a
// cool-down that grows. A neighbour called all along on the same shared
// sandbox is never blamed and, once the quarantine is on, never fails.
func TestBombIsQuarantined(t *testing.T) {
	p := newPoolWith(t, 128, func(c *Config) { c.QuarantineSandboxes = 1 })
	told := make(chan Quarantine, 10)
	p.OnQuarantine(func(fn string, q Quarantine) {
		if fn == "fn_evil" {
			told <- q
		}
	})
	bomb := invocation(t, "evil", `exports.main = () => "x".repeat(450e6).length`, 1024, 5*time.Second)
	good := invocation(t, "good", `exports.main = (d) => d.n + 1`, 64, 5*time.Second)

	type outcome struct {
		at   time.Time
		code string
	}
	stop := make(chan struct{})
	calls := make(chan outcome, 100000)
	var made atomic.Int64 // the neighbour's calls so far
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				at := time.Now()
				res, err := p.Execute(context.Background(), good)
				code := runCode(err)
				if err == nil && string(res.JSON) != "3" {
					code = "wrong answer " + string(res.JSON)
				}
				calls <- outcome{at, code}
				made.Add(1)
				time.Sleep(time.Millisecond)
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()

	for i := 1; i <= 2; i++ {
		// The neighbour is in full swing: 100 ms and ten more calls of it
		// (a slow machine can spend the pause before any call).
		want := made.Load() + 10
		time.Sleep(100 * time.Millisecond)
		for deadline := time.Now().Add(10 * time.Second); made.Load() < want; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("before bomb %d: the neighbour made %d calls", i, made.Load())
			}
		}
		if _, err := p.Execute(context.Background(), bomb); runCode(err) != functions.CodeMemoryLimit {
			t.Fatalf("bomb %d: %v", i, err)
		}
		if _, in := p.Quarantined("fn_evil"); in != (i == 2) {
			t.Fatalf("after bomb %d: quarantined %v", i, in)
		}
	}
	q, _ := p.Quarantined("fn_evil")
	if q.Offences != 2 || q.Until.Sub(q.Since) != time.Minute || !strings.Contains(q.Reason, "out of memory") {
		t.Fatalf("quarantine %+v", q)
	}
	if n := len(told); n != 1 {
		t.Fatalf("OnQuarantine was told %d times, want once", n)
	}
	if got := <-told; !got.Until.Equal(q.Until) {
		t.Fatalf("OnQuarantine was told %+v, the pool holds %+v", got, q)
	}
	sharedPid := livePid(t, p.slots[0])
	restarts := p.Restarts()

	// In quarantine the bomb kills only its own sandbox, and each kill
	// extends the quarantine: 2 min at the third offence.
	t3 := time.Now()
	if _, err := p.Execute(context.Background(), bomb); runCode(err) != functions.CodeMemoryLimit {
		t.Fatalf("bomb in quarantine: %v", err)
	}
	q3, in := p.Quarantined("fn_evil")
	if !in || q3.Offences != 3 || q3.Until.Sub(t3) < 2*time.Minute-time.Second || q3.Until.Sub(t3) > 2*time.Minute+5*time.Second {
		t.Fatalf("after the third offence: %+v (at %v)", q3, t3)
	}
	// Right after, its sandbox restarts: refused, or run (and killed) again.
	_, err := p.Execute(context.Background(), bomb)
	var ue *UnavailableError
	switch code := runCode(err); {
	case code == CodeQuarantined:
		if !errors.As(err, &ue) || ue.RetryAfter() < time.Second || ue.Status != 503 || !strings.Contains(ue.Message, "quarantined until") {
			t.Fatalf("refusal: %#v", err)
		}
	case code != functions.CodeMemoryLimit:
		t.Fatalf("bomb in quarantine: %v", err)
	}

	// The quarantine sandbox's restart is counted when it is up again,
	// which a slow machine may take longer than any fixed pause for.
	deadline := time.Now().Add(10 * time.Second)
	for p.Restarts() == restarts {
		if time.Now().After(deadline) {
			t.Fatal("the quarantine sandbox was not restarted")
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // time for the shared sandbox to die, were it to
	if pid := livePid(t, p.slots[0]); pid != sharedPid {
		t.Fatalf("the shared sandbox died in quarantine (pid %d, was %d)", pid, sharedPid)
	}
	close(stop)
	wg.Wait()
	stop = make(chan struct{})
	close(calls)
	total, failed := 0, 0
	for c := range calls {
		total++
		if c.code == "ok" {
			continue
		}
		failed++
		if c.at.After(q.Since) {
			t.Errorf("the neighbour failed after the quarantine began: %s", c.code)
		}
	}
	if _, in := p.Quarantined("fn_good"); in || offences(p, "fn_good") != 0 {
		t.Fatal("the neighbour was blamed")
	}
	// Each of the two callers has one call in flight at a time: at most
	// two lost per shared death.
	if total < 20 || failed > 4 {
		t.Fatalf("neighbour: %d calls, %d failed", total, failed)
	}
	t.Logf("neighbour: %d calls, %d failed (in flight at the two shared deaths)", total, failed)
}

// A run that will not stop has its sandbox killed by the watchdog, which
// is put down to its function exactly: twice is a quarantine.
func TestOverstayIsQuarantined(t *testing.T) {
	p := newPoolWith(t, 256, func(c *Config) { c.QuarantineSandboxes = -1 })
	slow := invocation(t, "slow", `exports.main = () => /^(?=(a+)+b)/.test("a".repeat(40) + "!")`, 64, 100*time.Millisecond)
	for i := 1; i <= 2; i++ {
		if _, err := p.Execute(context.Background(), slow); runCode(err) != functions.CodeTimeout {
			t.Fatalf("overstay %d: %v", i, err)
		}
	}
	q, in := p.Quarantined("fn_slow")
	if !in || q.Offences != 2 || !strings.Contains(q.Reason, "overstayed") {
		t.Fatalf("quarantine %+v %v", q, in)
	}
	// No sandbox of its own to be had: refused, saying why and until when.
	_, err := p.Execute(context.Background(), slow)
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Code != CodeQuarantined || !strings.Contains(ue.Message, "none is free") ||
		!strings.Contains(ue.Message, q.Until.UTC().Format(time.RFC3339)) || ue.RetryAfter() < 50*time.Second {
		t.Fatalf("want a refusal, got %v", err)
	}
	if st := p.QuarantineStats(); st.Active != 1 || st.Total != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// Quarantine sandboxes are few: a function that finds none free is
// refused until one is given back (a lift, or a quarantine's end).
func TestQuarantineSandboxesAreBounded(t *testing.T) {
	p := newPoolWith(t, 256, func(c *Config) { c.QuarantineSandboxes = 1; c.QuarantineCooldown = 5 * time.Second })
	for _, fn := range []string{"fn_a", "fn_b"} {
		p.offence(fn, "t", "test")
		p.offence(fn, "t", "test")
	}
	a := invocation(t, "a", `exports.main = () => "a"`, 64, 5*time.Second)
	b := invocation(t, "b", `exports.main = () => "b"`, 64, 5*time.Second)
	if res, err := p.Execute(context.Background(), a); err != nil || string(res.JSON) != `"a"` {
		t.Fatalf("a in quarantine: %v %v", res, err)
	}
	if p.qslots[0].current() == nil {
		t.Fatal("a did not get a sandbox of its own")
	}
	_, err := p.Execute(context.Background(), b)
	var ue *UnavailableError
	if !errors.As(err, &ue) || ue.Code != CodeQuarantined || !strings.Contains(ue.Message, "none is free") || ue.RetryAfter() > 5*time.Second {
		t.Fatalf("b: %v", err)
	}
	if p.Lift("fn_x") || !p.Lift("fn_a") {
		t.Fatal("lift")
	}
	if _, in := p.Quarantined("fn_a"); in {
		t.Fatal("still quarantined after the lift")
	}
	if res, err := p.Execute(context.Background(), a); err != nil || string(res.JSON) != `"a"` {
		t.Fatalf("a after the lift: %v %v", res, err)
	}
	// Once a's sandbox has exited, b gets it.
	deadline := time.Now().Add(5 * time.Second)
	for {
		res, err := p.Execute(context.Background(), b)
		if err == nil && string(res.JSON) == `"b"` {
			break
		}
		if runCode(err) != CodeQuarantined || time.Now().After(deadline) {
			t.Fatalf("b after the lift: %v %v", res, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// b's quarantine ends on its own; its sandbox is given back.
	deadline = time.Now().Add(10 * time.Second)
	for {
		_, in := p.Quarantined("fn_b")
		s := p.qslots[0]
		s.mu.Lock()
		free := s.owner == "" && s.live == nil
		s.mu.Unlock()
		if !in && free {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("b's quarantine did not end: in %v, slot free %v", in, free)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res, err := p.Execute(context.Background(), b); err != nil || string(res.JSON) != `"b"` {
		t.Fatalf("b after its quarantine: %v %v", res, err)
	}
	if st := p.QuarantineStats(); st.Active != 0 || st.Total != 2 {
		t.Fatalf("stats %+v", st)
	}
}
