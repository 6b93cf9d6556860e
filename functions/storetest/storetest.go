// Package storetest is the one behaviour suite of the stores: every
// backend (the embedded SQLite store, PostgreSQL) runs the same cases
// through Run, from its own tests. What only one backend has (a file's
// pragmas, the migration of an old file) stays in that backend's tests.
package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/backend"
)

// Store is a store under test: every backend method, and its clock.
type Store interface {
	backend.Backend
	// SetClock replaces the store's clock (tests only).
	SetClock(now func() time.Time)
}

// Backend is one opened store and what the cases need besides its methods.
type Backend struct {
	Store Store
	// Count runs a count query straight against the database, to check
	// what is really stored rather than what the API shows. Placeholders
	// are written ?, whatever the database's own.
	Count func(t *testing.T, query string, args ...any) int
	// Reopen opens the same database again, as a restarted gateway
	// would; the new store is closed at the test's end.
	Reopen func(t *testing.T) Backend
	// IsUniqueViolation reports whether err is the database refusing a
	// duplicate key (a UNIQUE or PRIMARY KEY constraint).
	IsUniqueViolation func(err error) bool
}

// Open opens a fresh, empty store for one test and closes it when the
// test ends.
type Open func(t *testing.T) Backend

// cases are every behaviour case, by name.
var cases = []struct {
	name string
	run  func(t *testing.T, open Open)
}{
	{"CreateAndGet", testCreateAndGet},
	{"NameTaken", testNameTaken},
	{"ConcurrentCreateSameName", testConcurrentCreateSameName},
	{"DeployAndRollback", testDeployAndRollback},
	{"ConcurrentDeploys", testConcurrentDeploys},
	{"RotateUUID", testRotateUUID},
	{"Delete", testDelete},
	{"TenantIsolation", testTenantIsolation},
	{"List", testList},
	{"ListShowsLiveVersion", testListShowsLiveVersion},
	{"DurableAcrossReopen", testDurableAcrossReopen},
	{"EnvRoundTrip", testEnvRoundTrip},
	{"FunctionSettings", testFunctionSettings},
	{"RoutingChainOrder", testRoutingChainOrder},
	{"ContractSettings", testContractSettings},
	{"ScheduleSetting", testScheduleSetting},
	{"Keys", testKeys},
	{"KeyUseAndRevocation", testKeyUseAndRevocation},
	{"Tenants", testTenants},
	{"KV", testKV},
	{"KVQuota", testKVQuota},
	{"KVIncrConcurrent", testKVIncrConcurrent},
	{"CallState", testCallState},
	{"VoiceSettings", testVoiceSettings},
	{"CallStateGroupCommit", testCallStateGroupCommit},
	{"RoutingAssignments", testRoutingAssignments},
	{"Runs", testRuns},
	{"RunsFilters", testRunsFilters},
	{"RunsPaging", testRunsPaging},
	{"PruneRuns", testPruneRuns},
	{"ScheduleFires", testScheduleFires},
	{"QueueLifecycle", testQueueLifecycle},
	{"QueueEnqueueBoundsAndIdempotency", testQueueEnqueueBoundsAndIdempotency},
	{"QueueClaimExactlyOnce", testQueueClaimExactlyOnce},
	{"QueueRedriveAllAndDiscard", testQueueRedriveAllAndDiscard},
	{"QueueCallbacks", testQueueCallbacks},
	{"QueueEnqueueConcurrently", testQueueEnqueueConcurrently},
	{"QueueEnqueueAroundBounds", testQueueEnqueueAroundBounds},
	{"QueueDepthFollowsEveryChange", testQueueDepthFollowsEveryChange},
}

// Run runs every case against the stores open makes, each case as a
// subtest with a store of its own. Cases share nothing, so they run in
// parallel: most of a case's time is the store's fsyncs and, on
// PostgreSQL, the migration of its fresh schema.
func Run(t *testing.T, open Open) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, open)
		})
	}
}

// tstore is the store a case works on: the backend's, plus the clock the
// case reads and the backend's test hooks.
type tstore struct {
	Store
	b     Backend
	clock func() time.Time
}

// openTest opens a fresh store on a test clock (see testClock).
func openTest(t *testing.T, open Open) *tstore {
	t.Helper()
	s := &tstore{b: open(t)}
	s.Store = s.b.Store
	s.SetClock(newTestClock().now)
	return s
}

// SetClock sets the store's clock and the one the case reads with now.
func (s *tstore) SetClock(now func() time.Time) {
	s.clock = now
	s.Store.SetClock(now)
}

func (s *tstore) now() time.Time { return s.clock() }

// reopen opens the same database again, on the real clock, as a
// restarted gateway would.
func (s *tstore) reopen(t *testing.T) *tstore {
	t.Helper()
	b := s.b.Reopen(t)
	return &tstore{Store: b.Store, b: b, clock: time.Now}
}

// count runs a count(*) query straight against the database.
func count(t *testing.T, s *tstore, query string, args ...any) int {
	t.Helper()
	return s.b.Count(t, query, args...)
}

// testClock hands out strictly increasing times, 1ms apart, so ordering by
// time in tests does not depend on how fast the machine is.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

// SampleVersion is a version to deploy whose fields all derive from source.
func SampleVersion(source string) functions.NewVersion {
	return functions.NewVersion{
		Type:      functions.TypeScript,
		Source:    source,
		Code:      "compiled:" + source,
		Hash:      "hash:" + source,
		TimeoutMS: 1000,
		MemoryMB:  64,
	}
}

func sampleVersion(source string) functions.NewVersion { return SampleVersion(source) }

func mustCreate(t *testing.T, s functions.Store, tenant, name string) functions.Deployed {
	t.Helper()
	d, err := s.Create(context.Background(), tenant, name, functions.Settings{}, sampleVersion("v1 of "+name))
	if err != nil {
		t.Fatalf("Create(%s, %s): %v", tenant, name, err)
	}
	return d
}
