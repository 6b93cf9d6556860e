package sqlite

import (
	"context"
	"path/filepath"
	"reflect"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/storetest"
)

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

// oldRun is a run record as the first schema stored it.
const oldRun = `INSERT INTO runs (request_id, function_id, tenant, version, export, status, duration_us, started_at)
	VALUES ('old', 'fn_1', 'acme', 1, '', 200, 5000, 1)`

// A run recorded before runs had cpu_us reads back with 0 CPU, and new
// runs keep theirs.
func TestMigrationAddsRunCPU(t *testing.T) {
	ctx := context.Background()
	s := openUpgraded(t, 4, oldRun)
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

// Runs recorded before triggers existed read back as HTTP runs, and can be
// listed by trigger; tenants made before have no retention of their own.
func TestMigrationAddsRunTrigger(t *testing.T) {
	ctx := context.Background()
	s := openUpgraded(t, 7, oldRun, `INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('acme', 'Acme', 1, 1)`)
	if err := s.SaveRuns(ctx, []functions.Run{{RequestID: "new", FunctionID: "fn_1", Tenant: "acme", Trigger: functions.TriggerVoice, Status: 200, StartedAt: time.UnixMilli(2)}}); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]functions.Trigger{"old": functions.TriggerHTTP, "new": functions.TriggerVoice} {
		r, err := s.RunByID(ctx, "acme", id)
		if err != nil || r.Trigger != want {
			t.Errorf("run %s: trigger %q (%v), want %q", id, r.Trigger, err, want)
		}
	}
	page, err := s.Runs(ctx, "acme", functions.RunQuery{Trigger: functions.TriggerHTTP})
	if err != nil || !reflect.DeepEqual(storetest.RunIDs(page.Runs), []string{"old"}) {
		t.Errorf("http runs = %v, %v; want [old]", storetest.RunIDs(page.Runs), err)
	}
	tn, err := s.Tenant(ctx, "acme")
	if err != nil || tn.RunsRetention != (auth.RunsRetention{}) {
		t.Errorf("tenant from before: %+v, %v; want no retention of its own", tn, err)
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
