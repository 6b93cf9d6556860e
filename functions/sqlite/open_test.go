package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Every pooled connection, not only the first, must carry the pragmas:
// the driver applies them per connection from the DSN.
func TestOpenPragmasOnEveryConnection(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("database file not created: %v", err)
	}
	for i := 0; i < 3; i++ {
		// Hold each connection so the next one is a different one.
		conn, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		pragmas := []struct{ name, want string }{
			{"journal_mode", "wal"},
			{"synchronous", "2"}, // FULL
			{"foreign_keys", "1"},
			{"busy_timeout", "5000"},
		}
		for _, p := range pragmas {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+p.name).Scan(&got); err != nil {
				t.Fatalf("PRAGMA %s: %v", p.name, err)
			}
			if got != p.want {
				t.Errorf("connection %d: PRAGMA %s = %q, want %q", i, p.name, got, p.want)
			}
		}
	}
	if st, err := os.Stat(filepath.Dir(path)); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode = %v, %v; want 0700", st.Mode().Perm(), err)
	}
}

// Write transactions must take the write lock at BEGIN: while one is open,
// a second BEGIN waits (here: until its context ends) instead of starting a
// deferred transaction that would fail later, mid-way.
func TestWriteTransactionsBeginImmediate(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	tx2, err := s.db.BeginTx(short, nil)
	if err == nil {
		tx2.Rollback()
		t.Fatal("second write transaction began while the first held the lock")
	}
	if time.Since(start) < 150*time.Millisecond {
		t.Errorf("second BEGIN failed after %v without waiting: %v", time.Since(start), err)
	}
}

func TestOpenAwkwardPaths(t *testing.T) {
	for _, dir := range []string{"with space", "q?mark", "hash#tag", "pct%41", "semi;colon&amp"} {
		t.Run(dir, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), dir, "x.db")
			s, err := Open(path)
			if err != nil {
				t.Fatalf("Open(%q): %v", path, err)
			}
			defer s.Close()
			if _, err := s.Create(context.Background(), "t", "f", functions.Settings{}, sampleVersion("x")); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("database not at %q: %v", path, err)
			}
		})
	}
}

func TestOpenRejectsNonFile(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file::memory:?cache=shared"} {
		if s, err := Open(p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	s, path := openTest(t)
	type applied struct{ version, at int64 }
	read := func(s *Store) []applied {
		rows, err := s.db.Query(`SELECT version, applied_at FROM schema_migrations ORDER BY version`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []applied
		for rows.Next() {
			var a applied
			if err := rows.Scan(&a.version, &a.at); err != nil {
				t.Fatal(err)
			}
			out = append(out, a)
		}
		return out
	}
	first := read(s)
	if len(first) != len(migrations) {
		t.Fatalf("applied %d migrations, want %d", len(first), len(migrations))
	}
	for i, a := range first {
		if a.version != int64(i+1) {
			t.Errorf("migration %d recorded as version %d", i+1, a.version)
		}
	}
	s.Close()

	for i := 0; i < 2; i++ {
		s2, err := Open(path)
		if err != nil {
			t.Fatalf("reopen %d: %v", i, err)
		}
		if got := read(s2); !reflect.DeepEqual(got, first) {
			t.Errorf("reopen %d: schema_migrations = %v, want unchanged %v", i, got, first)
		}
		s2.Close()
	}
}

func TestClosedStoreFails(t *testing.T) {
	s, _ := openTest(t)
	s.Close()
	if err := s.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "sqlite: ping") {
		t.Errorf("Ping on closed store: err = %v, want a wrapped error", err)
	}
}

// Concurrent lookups reuse pooled connections: none is closed for being
// idle, and no more than maxConns are ever open (each new one re-reads
// the schema, which made lookups under load cost a quarter of the
// gateway's CPU).
func TestConnectionsReused(t *testing.T) {
	s, _ := openTest(t)
	d := mustCreate(t, s, "acme", "f")
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 20 {
					if _, err := s.ByUUID(context.Background(), d.Function.UUID); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
	}
	st := s.db.Stats()
	if st.MaxIdleClosed != 0 || st.OpenConnections > maxConns {
		t.Fatalf("pool: %d open, %d closed as surplus idle; want none closed, at most %d open", st.OpenConnections, st.MaxIdleClosed, maxConns)
	}
}
