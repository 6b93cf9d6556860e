package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/storetest"
)

// TestStore runs the behaviour suite every store shares.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		s, path := openTest(t)
		return backendAt(s, path)
	})
}

// backendAt is s (open on the file at path) as the suite sees it.
func backendAt(s *Store, path string) storetest.Backend {
	return storetest.Backend{
		Store:             s,
		Count:             func(t *testing.T, query string, args ...any) int { return count(t, s, query, args...) },
		IsUniqueViolation: func(err error) bool { return isUniqueViolation(err) || isPrimaryKeyViolation(err) },
		Reopen: func(t *testing.T) storetest.Backend {
			t.Helper()
			s2, err := Open(path)
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			t.Cleanup(func() { s2.Close() })
			return backendAt(s2, path)
		},
	}
}

// openTest opens a store in a fresh directory that does not exist yet, so
// Open has to create it. (The suite sets its own clock.)
func openTest(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "scriptforge.db")
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

var sampleVersion = storetest.SampleVersion

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
