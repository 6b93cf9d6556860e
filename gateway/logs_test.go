package gateway

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/logstream"
)

// What the logs feature adds to a run nobody streams or follows: no
// listener on the run (so a sandbox sends no log frames), no allocation.
func TestTapLogsCostsNothingUnwatched(t *testing.T) {
	g := &Gateway{logs: logstream.New()}
	other := g.logs.Follow("fn_other", 0, 1) // someone follows another function
	defer other.Close()
	inv := &functions.Invocation{Function: functions.FunctionInfo{ID: "fn_a"}}
	res := &functions.Result{Logs: []functions.LogLine{{Level: "info", Message: "x"}}}
	allocs := testing.AllocsPerRun(1000, func() {
		tap := g.tapLogs(inv, "rid", nil, 0)
		tap.finish(res, nil)
	})
	if allocs != 0 || inv.OnLog != nil {
		t.Fatalf("%v allocations per run, listener set: %v", allocs, inv.OnLog != nil)
	}
}

// A run followed from its start sends its lines as they are printed (and
// not again at its end); one that gained a follower while it ran sends
// them at its end; a failed run's lines are its error's.
func TestTapLogs(t *testing.T) {
	g := &Gateway{logs: logstream.New()}
	f := g.logs.Follow("fn_a", 0, 16)
	defer f.Close()
	line := functions.LogLine{Time: time.Now(), Level: "warn", Message: "m"}

	inv := &functions.Invocation{Function: functions.FunctionInfo{ID: "fn_a"}}
	tap := g.tapLogs(inv, "r1", nil, 0)
	inv.OnLog(line)
	if got := <-f.Lines(); got.RequestID != "r1" || got.Message != "m" {
		t.Fatalf("live line %+v", got)
	}
	tap.finish(&functions.Result{Logs: []functions.LogLine{line}}, nil)
	if n := len(f.Lines()); n != 0 {
		t.Fatalf("%d lines sent again at the end", n)
	}

	late := logTap{hub: g.logs, fn: "fn_a", rid: "r2"} // began before anyone followed
	late.finish(nil, &functions.RunError{Code: "x", Logs: []functions.LogLine{line, line}})
	if n := len(f.Lines()); n != 2 {
		t.Fatalf("a failed run's lines: %d", n)
	}
	if runLogs(nil, errors.New("plain")) != nil {
		t.Fatal("lines from nowhere")
	}

	// Streamed and followed: each line reaches both.
	s := newRunStream(4)
	inv = &functions.Invocation{Function: functions.FunctionInfo{ID: "fn_a"}}
	g.tapLogs(inv, "r3-2", s, 2)
	inv.OnLog(line)
	if lines, _ := s.take(); len(lines) != 1 || lines[0].Step != 2 || lines[0].FunctionID != "fn_a" || lines[0].Message != "m" {
		t.Fatalf("stream lines %+v", lines)
	}
	for len(f.Lines()) > 0 {
		if got := <-f.Lines(); got.RequestID == "r3-2" {
			return
		}
	}
	t.Fatal("the follower missed the streamed run's line")
}

// A streamed run's buffer drops what it cannot hold, and counts it; a
// take empties it, and the dropped count starts again.
func TestRunStreamDrops(t *testing.T) {
	s := newRunStream(2)
	on := s.onLog(0, "")
	for i := range 5 {
		on(functions.LogLine{Message: strconv.Itoa(i)})
	}
	lines, dropped := s.take()
	if len(lines) != 2 || lines[0].Message != "0" || lines[1].Message != "1" || dropped != 3 {
		t.Fatalf("kept %+v, dropped %d", lines, dropped)
	}
	select {
	case <-s.wake:
	default:
		t.Fatal("no wake-up for the lines")
	}
	on(functions.LogLine{Message: "5"})
	if lines, dropped = s.take(); len(lines) != 1 || lines[0].Message != "5" || dropped != 0 {
		t.Fatalf("after a take: %+v, dropped %d", lines, dropped)
	}
	if allocs := testing.AllocsPerRun(100, func() { newRunStream(256) }); allocs > 2 {
		t.Fatalf("a stream costs %v allocations before any line", allocs)
	}
}
