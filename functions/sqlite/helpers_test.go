package sqlite

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

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

// openTest opens a store in a fresh directory that does not exist yet, so
// Open has to create it.
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "scriptforge.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	s.now = newTestClock().now
	return s, path
}

func sampleVersion(source string) functions.NewVersion {
	return functions.NewVersion{
		Type:      functions.TypeScript,
		Source:    source,
		Code:      "compiled:" + source,
		Hash:      "hash:" + source,
		TimeoutMS: 1000,
		MemoryMB:  64,
	}
}

func mustCreate(t *testing.T, s *Store, tenant, name string) functions.Deployed {
	t.Helper()
	d, err := s.Create(context.Background(), tenant, name, functions.Settings{}, sampleVersion("v1 of "+name))
	if err != nil {
		t.Fatalf("Create(%s, %s): %v", tenant, name, err)
	}
	return d
}

// count runs a count(*) query straight against the database, to check what
// is really stored rather than what the API chooses to show.
func count(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
