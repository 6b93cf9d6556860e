package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// A live run's frame says so in its kind and nothing else: the same
// invocation decodes equal either way, with Live set only for the live
// one; a plain run's frame is byte for byte what it was. Log frames
// cross with their step.
func TestCodecLiveLogs(t *testing.T) {
	inv := &functions.Invocation{RequestID: "r1", Export: "main", Code: "x", Data: []byte(`{}`)}
	plain, err := appendRun(nil, 5, inv, 1, withCode|withVersion)
	if err != nil {
		t.Fatal(err)
	}
	inv.OnLog = func(functions.LogLine) {}
	live, err := appendRun(nil, 5, inv, 1, withCode|withVersion)
	if err != nil {
		t.Fatal(err)
	}
	if plain[0] != kindRun || live[0] != kindRun|liveLogs || string(plain[1:]) != string(live[1:]) {
		t.Fatalf("kinds %d %d; payloads equal: %v", plain[0], live[0], string(plain[1:]) == string(live[1:]))
	}
	for _, c := range []struct {
		frame []byte
		live  bool
	}{{plain, false}, {live, true}} {
		req, err := decodeRequest(c.frame, newVersionTable())
		if err != nil || req.Live != c.live || req.Inv == nil || req.Inv.OnLog != nil || req.Inv.RequestID != "r1" {
			t.Fatalf("live %v: %+v %v", c.live, req, err)
		}
	}
	// The bit means nothing on other kinds.
	if _, err := decodeRequest(append([]byte{kindCancel | liveLogs}, 1), newVersionTable()); err == nil {
		t.Fatal("a cancel frame with the live bit was accepted")
	}
	want := response{ID: 9, Log: &logFrame{Step: 2, Line: functions.LogLine{Time: time.Unix(1700000000, 5).UTC(), Level: "warn", Message: "é\x00x"}}}
	got, err := decodeResponse(appendResponse(nil, &want))
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("log frame: %v\n got %+v\nwant %+v", err, got, want)
	}
}

// liveCollector gathers lines with the time each arrived.
type liveCollector struct {
	mu    sync.Mutex
	lines []functions.LogLine
	at    []time.Time
}

func (c *liveCollector) on(prefix string) func(functions.LogLine) {
	return func(l functions.LogLine) {
		c.mu.Lock()
		defer c.mu.Unlock()
		l.Message = prefix + l.Message
		c.lines, c.at = append(c.lines, l), append(c.at, time.Now())
	}
}

func (c *liveCollector) messages() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, l := range c.lines {
		out = append(out, l.Level+" "+l.Message)
	}
	return out
}

// A live run in a sandbox sends its lines as they are printed, before
// its answer; a chain's lines reach their own steps' listeners; a plain
// run sends none.
func TestPoolLiveLogs(t *testing.T) {
	p := newPool(t, 1, 256)
	inv := invocation(t, "acme", `exports.main = (d) => { console.log("a", d.n); console.warn("b");
		const until = Date.now() + 250; while (Date.now() < until) {} ; console.error("c"); return 1 }`, 64, 5*time.Second)
	var c liveCollector
	inv.OnLog = c.on("")
	res, err := p.Execute(context.Background(), inv)
	ended := time.Now()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.messages(); !reflect.DeepEqual(got, []string{"info a 2", "warn b", "error c"}) || len(res.Logs) != 3 {
		t.Fatalf("live lines %q, kept %v", got, res.Logs)
	}
	if early := ended.Sub(c.at[0]); early < 150*time.Millisecond {
		t.Errorf("the first line arrived %v before the answer; want about 250ms", early)
	}
	for i, l := range c.lines {
		if !l.Time.Equal(res.Logs[i].Time) {
			t.Errorf("line %d: time %v, kept %v", i, l.Time, res.Logs[i].Time)
		}
	}

	var chained liveCollector
	var steps []*functions.Invocation
	for _, name := range []string{"first", "second"} {
		s := invocation(t, "acme", `exports.main = (d) => { console.log("n", d.n); return {n: d.n + 1} }`, 64, time.Second)
		s.Function.ID = "fn_" + name
		s.OnLog = chained.on(name + ": ")
		steps = append(steps, s)
	}
	runs := p.ExecuteChain(context.Background(), testHandoff, steps)
	if len(runs) != 2 || runs[1].Err != nil {
		t.Fatalf("chain: %+v", runs)
	}
	if got := chained.messages(); !reflect.DeepEqual(got, []string{"info first: n 2", "info second: n 3"}) {
		t.Fatalf("chain lines %q", got)
	}

	// Only a later step listens: the chain still sends its lines, and
	// only that step's reach a listener.
	var second liveCollector
	steps[0].OnLog, steps[1].OnLog = nil, second.on("")
	if runs := p.ExecuteChain(context.Background(), testHandoff, steps); len(runs) != 2 || runs[1].Err != nil {
		t.Fatalf("chain: %+v", runs)
	}
	if got := second.messages(); !reflect.DeepEqual(got, []string{"info n 3"}) {
		t.Fatalf("second step's lines %q", got)
	}

	inv.OnLog = nil
	if _, err := p.Execute(context.Background(), inv); err != nil || len(c.messages()) != 3 {
		t.Fatalf("a plain run reached the old listener: %v %q", err, c.messages())
	}
}

// countingWriter counts writes and keeps what they wrote.
type countingWriter struct {
	mu     sync.Mutex
	writes int
	data   []byte
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	w.data = append(w.data, b...)
	return len(b), nil
}

func (w *countingWriter) state() (int, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.writes, len(w.data)
}

// A frame sent soon waits for the next frame and goes in its write, in
// order; alone, it goes when its delay is up.
func TestSendSoon(t *testing.T) {
	w := &countingWriter{}
	fw := newFrameWriter(w, true)
	frame := func(id uint64) func([]byte) ([]byte, error) {
		return func(b []byte) ([]byte, error) {
			return appendResponse(b, &response{ID: id, Log: &logFrame{Line: functions.LogLine{Level: "info", Message: "x"}}}), nil
		}
	}
	if err := fw.sendSoon(frame(1), time.Hour); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.state(); n != 0 {
		t.Fatalf("%d writes before the next frame", n)
	}
	if err := fw.send(frame(2)); err != nil {
		t.Fatal(err)
	}
	if n, _ := w.state(); n != 1 {
		t.Fatalf("%d writes for two frames", n)
	}
	in := bufio.NewReader(bytes.NewReader(w.data))
	for _, want := range []uint64{1, 2} {
		resp, err := readResponse(in)
		if err != nil || resp.ID != want {
			t.Fatalf("frame %d: %+v %v", want, resp, err)
		}
	}
	if err := fw.sendSoon(frame(3), 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for n, _ := w.state(); n != 2; n, _ = w.state() {
		if time.Now().After(deadline) {
			t.Fatal("a lone frame was never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
	_ = fw.close()
}
