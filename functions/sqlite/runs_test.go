package sqlite

import (
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scriptforge/scriptforge/functions"
)

func TestRuns(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	fn := mustCreate(t, s, "acme", "router")
	other := mustCreate(t, s, "acme", "other")
	base := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	logTime := time.Date(2025, 6, 1, 10, 0, 0, 123456789, time.UTC)

	full := functions.Run{
		RequestID: "req-0", FunctionID: fn.ID, Tenant: "acme", Version: 1, Export: "main",
		Status: 502, ErrorCode: functions.CodeFunctionError, Error: "boom",
		Logs: []functions.LogLine{
			{Time: logTime, Level: "log", Message: "hello"},
			{Time: logTime.Add(time.Millisecond), Level: "error", Message: "bad \"thing\""},
		},
		DurationUS: 1234, CPUUS: 987, StartedAt: base,
	}
	batch := []functions.Run{full}
	for i := 1; i <= 4; i++ {
		batch = append(batch, functions.Run{
			RequestID: "req-" + string(rune('0'+i)), FunctionID: fn.ID, Tenant: "acme", Version: 1,
			Export: "main", Status: 200, StartedAt: base.Add(time.Duration(i) * time.Minute),
		})
	}
	batch = append(batch, functions.Run{RequestID: "req-other", FunctionID: other.ID, Tenant: "acme", Status: 200, StartedAt: base.Add(time.Hour)})
	if err := s.SaveRuns(ctx, batch); err != nil {
		t.Fatal(err)
	}
	// A retried batch with a changed record is ignored, not an error.
	dup := full
	dup.Status = 200
	if err := s.SaveRuns(ctx, []functions.Run{dup}); err != nil {
		t.Fatalf("SaveRuns duplicate: %v", err)
	}
	if err := s.SaveRuns(ctx, nil); err != nil {
		t.Fatalf("SaveRuns(nil): %v", err)
	}

	t.Run("by id", func(t *testing.T) {
		got, err := s.RunByID(ctx, "acme", "req-0")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, full) {
			t.Errorf("RunByID = %+v\nwant %+v", got, full)
		}
		got, err = s.RunByID(ctx, "acme", "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if got.Logs == nil || len(got.Logs) != 0 {
			t.Errorf("run without logs read back Logs = %#v, want empty non-nil", got.Logs)
		}
		if _, err := s.RunByID(ctx, "acme", "nope"); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("RunByID unknown: err = %v, want ErrNotFound", err)
		}
	})

	tests := []struct {
		name  string
		id    string
		limit int
		want  []string
	}{
		{"newest first", fn.ID, 10, []string{"req-4", "req-3", "req-2", "req-1", "req-0"}},
		{"limit", fn.ID, 2, []string{"req-4", "req-3"}},
		{"default limit", fn.ID, 0, []string{"req-4", "req-3", "req-2", "req-1", "req-0"}},
		{"only this function", other.ID, 10, []string{"req-other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs, err := s.Runs(ctx, "acme", tt.id, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range runs {
				got = append(got, r.RequestID)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Runs = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := s.Runs(ctx, "acme", "fn_nope", 10); !errors.Is(err, functions.ErrNotFound) {
		t.Errorf("Runs of unknown function: err = %v, want ErrNotFound", err)
	}

	t.Run("prune", func(t *testing.T) {
		prunes := []struct {
			before time.Time
			want   int64
			left   int
		}{
			{base, 0, 6}, // strictly before: req-0 stays
			{base.Add(2*time.Minute + time.Second), 3, 3}, // req-0, req-1, req-2
			{base.Add(2*time.Minute + time.Second), 0, 3}, // idempotent
			{base.Add(2 * time.Hour), 3, 0},
		}
		for _, p := range prunes {
			n, err := s.PruneRuns(ctx, p.before)
			if err != nil {
				t.Fatal(err)
			}
			if n != p.want {
				t.Errorf("PruneRuns(%v) = %d, want %d", p.before, n, p.want)
			}
			if left := count(t, s, `SELECT count(*) FROM runs`); left != p.left {
				t.Errorf("after PruneRuns(%v) %d runs left, want %d", p.before, left, p.left)
			}
		}
	})
}

func TestRunsSameMillisecondNewestInsertedFirst(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	fn := mustCreate(t, s, "acme", "f")
	at := time.Date(2025, 6, 1, 10, 0, 0, 500_000, time.UTC)
	for _, id := range []string{"b", "a", "c"} {
		if err := s.SaveRuns(ctx, []functions.Run{{RequestID: id, FunctionID: fn.ID, Tenant: "acme", StartedAt: at}}); err != nil {
			t.Fatal(err)
		}
	}
	runs, err := s.Runs(ctx, "acme", fn.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.RequestID)
		if !r.StartedAt.Equal(at.Truncate(time.Millisecond)) {
			t.Errorf("StartedAt = %v, want %v at millisecond precision", r.StartedAt, at)
		}
	}
	if want := []string{"c", "a", "b"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Runs = %v, want %v", got, want)
	}
}

// BenchmarkSaveRuns saves run records in batches of 256, as the
// gateway's recorder does under load; ns/op and cpu-ns/op are per record.
// rows=1 is one INSERT per record, the way SaveRuns wrote them before.
func BenchmarkSaveRuns(b *testing.B) {
	for _, c := range []struct {
		name      string
		next      func(i int) string
		perInsert int
	}{
		{"random-ids/rows=64", func(int) string { return uuid.NewString() }, runsPerInsert},
		{"time-ordered-ids/rows=1", func(int) string { return uuid.Must(uuid.NewV7()).String() }, 1},
		{"time-ordered-ids/rows=64", func(int) string { return uuid.Must(uuid.NewV7()).String() }, runsPerInsert},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			const batchSize = 256
			batch := make([]functions.Run, 0, batchSize)
			now := time.Now()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := 0; i < b.N; i++ {
				batch = append(batch, functions.Run{RequestID: c.next(i), FunctionID: "fn_bench", Tenant: "default",
					Version: 1, Export: "main", Status: 200, DurationUS: 40, StartedAt: now.Add(time.Duration(i))})
				if len(batch) == batchSize || i == b.N-1 {
					if err := s.saveRuns(context.Background(), batch, c.perInsert); err != nil {
						b.Fatal(err)
					}
					batch = batch[:0]
				}
			}
			b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// A run recorded before runs had cpu_us reads back with 0 CPU, and new
// runs keep theirs.
func TestMigrationAddsRunCPU(t *testing.T) {
	ctx := context.Background()
	path, db := databaseAtStep(t, 4)
	if _, err := db.ExecContext(ctx, `INSERT INTO runs (request_id, function_id, tenant, version, export, status, duration_us, started_at)
		VALUES ('old', 'fn_1', 'acme', 1, '', 200, 5000, 1)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SaveRuns(ctx, []functions.Run{{RequestID: "new", FunctionID: "fn_1", Tenant: "acme", Status: 200, DurationUS: 9000, CPUUS: 4321, StartedAt: time.UnixMilli(2)}}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int64{"old": 0, "new": 4321} {
		r, err := s.RunByID(ctx, "acme", id)
		if err != nil || r.CPUUS != want {
			t.Errorf("run %s: cpu_us %d (%v), want %d", id, r.CPUUS, err, want)
		}
	}
}

// processCPU is the process's CPU time so far, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
