package gateway

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// runSink is a store that keeps the runs it is asked to save.
type runSink struct {
	functions.Store
	mu   sync.Mutex
	runs []functions.Run
}

func (s *runSink) SaveRuns(_ context.Context, runs []functions.Run) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runs = append(s.runs, runs...)
	return nil
}

func (s *runSink) PruneRuns(context.Context, time.Time) (int64, error) { return 0, nil }

// Quiet runs are kept up to the function's rate; failed and logged runs
// always; another function keeps its own budget.
func TestQuietRunRecords(t *testing.T) {
	log := []functions.LogLine{{Level: "log", Message: "hi"}}
	for _, tc := range []struct {
		name                    string
		rate                    float64
		run                     functions.Run
		calls                   int
		wantAtMost, wantAtLeast int
	}{
		{"quiet runs beyond the budget are skipped", 10, functions.Run{FunctionID: "a", Status: 200}, 100, 10, 10},
		{"a quiet Response below 400 counts as quiet", 10, functions.Run{FunctionID: "a", Status: 302}, 100, 10, 10},
		{"failed runs are all kept", 10, functions.Run{FunctionID: "a", Status: 500, ErrorCode: "function_error"}, 100, 100, 100},
		{"a Response of 404 is kept", 10, functions.Run{FunctionID: "a", Status: 404}, 100, 100, 100},
		{"runs that logged are all kept", 10, functions.Run{FunctionID: "a", Status: 200, Logs: log}, 100, 100, 100},
		{"a negative rate keeps every run", -1, functions.Run{FunctionID: "a", Status: 200}, 100, 100, 100},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sink := &runSink{}
			var skipped atomic.Int64
			rr := newRunRecorder(sink, slog.New(slog.DiscardHandler), time.Hour, tc.rate, func() { t.Error("dropped") }, func() { skipped.Add(1) })
			start := time.Now()
			for range tc.calls {
				rr.record(tc.run)
			}
			// A slow machine earns the budget more tokens meanwhile.
			extra := int(tc.rate*time.Since(start).Seconds()) + 1
			// Another function's budget is its own.
			other := tc.run
			other.FunctionID = "b"
			rr.record(other)
			rr.close()
			var got, gotOther int
			for _, r := range sink.runs {
				if r.FunctionID == "b" {
					gotOther++
				} else {
					got++
				}
			}
			if tc.wantAtMost < tc.calls {
				tc.wantAtMost += extra
			}
			if got < tc.wantAtLeast || got > tc.wantAtMost || gotOther != 1 {
				t.Fatalf("kept %d runs (want %d to %d) and %d of the other function (want 1)", got, tc.wantAtLeast, tc.wantAtMost, gotOther)
			}
			if int(skipped.Load()) != tc.calls-got {
				t.Fatalf("skipped %d, want %d", skipped.Load(), tc.calls-got)
			}
		})
	}
}
