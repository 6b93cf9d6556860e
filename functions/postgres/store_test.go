package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/postgres/pgtest"
	"github.com/scriptforge/scriptforge/functions/storetest"
)

// TestStore runs the behaviour suite every store shares, each case in a
// schema of its own.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Backend {
		return backendAt(t, pgtest.URL(t))
	})
}

// openAt opens a store on url, closed at the test's end.
func openAt(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// backendAt is a store open on url as the suite sees it.
func backendAt(t *testing.T, url string) storetest.Backend {
	s := openAt(t, url)
	return storetest.Backend{
		Store:             s,
		Count:             func(t *testing.T, query string, args ...any) int { return count(t, s, query, args...) },
		Reopen:            func(t *testing.T) storetest.Backend { return backendAt(t, url) },
		IsUniqueViolation: func(err error) bool { return uniqueViolation(err) != "" },
	}
}

// count runs a count query straight against the database; its
// placeholders are written ?, as the suite writes them.
func count(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	var c int
	if err := s.pool.QueryRow(context.Background(), b.String(), args...).Scan(&c); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return c
}

// Three gateways starting at once on a fresh schema: all open, and each
// migration is applied once (a second application would fail on tables
// that exist, and would record the version twice).
func TestMigrateConcurrently(t *testing.T) {
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 3)
	errs := make([]error, 3)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), url) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		t.Cleanup(func() { s.Close() })
	}
	rows, err := stores[0].pool.Query(context.Background(), `SELECT version, count(*) FROM schema_migrations GROUP BY version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v, n int
		if err := rows.Scan(&v, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("migration %d recorded %d times", v, n)
		}
		got = append(got, v)
	}
	if len(got) != len(migrations) || got[len(got)-1] != len(migrations) {
		t.Fatalf("migrations recorded %v, want 1..%d", got, len(migrations))
	}
	// Opening again applies nothing and fails nothing.
	s := openAt(t, url)
	if n := count(t, s, `SELECT count(*) FROM schema_migrations`); n != len(migrations) {
		t.Fatalf("%d migrations recorded after a reopen, want %d", n, len(migrations))
	}
	if n := count(t, s, `SELECT count(*) FROM tenants WHERE id = 'default'`); n != 1 {
		t.Fatalf("%d default tenants", n)
	}
}

// A database newer than the gateway is refused, not half used.
func TestOpenRefusesNewerSchema(t *testing.T) {
	url := pgtest.URL(t)
	s := openAt(t, url)
	if _, err := s.pool.Exec(context.Background(), `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)`, len(migrations)+1); err != nil {
		t.Fatal(err)
	}
	if s2, err := Open(context.Background(), url); err == nil || !strings.Contains(err.Error(), "newer than this gateway") {
		if s2 != nil {
			s2.Close()
		}
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

func TestOpenBadURL(t *testing.T) {
	for _, url := range []string{
		"postgres://u:s3cret@127.0.0.1:1/test?sslmode=disable&connect_timeout=2", // nothing listens there
		"postgres://u:s3cret@[::1/test",                                          // does not parse
	} {
		s, err := Open(context.Background(), url)
		if err == nil {
			s.Close()
			t.Fatalf("Open(%q) succeeded", url)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q): the error shows the password: %v", url, err)
		}
	}
}

func TestClosedStoreFails(t *testing.T) {
	s := openAt(t, pgtest.URL(t))
	s.Close()
	if err := s.Ping(context.Background()); err == nil || !strings.HasPrefix(err.Error(), "postgres: ping") {
		t.Errorf("Ping on a closed store: %v", err)
	}
}

// Text PostgreSQL's TEXT refuses (a NUL, invalid UTF-8) neither fails a
// deploy nor loses a batch of run records: source and code are kept as
// bytes, exactly; a run's free text is kept with U+FFFD in place of each
// byte TEXT cannot hold.
func TestTextPostgresRefuses(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, pgtest.URL(t))
	nv := storetest.SampleVersion("const s = '\x00'; // \xff")
	nv.Hash = "h" // a hash is hex
	d, err := s.Create(ctx, "acme", "f", functions.Settings{}, nv)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.Get(ctx, "acme", d.ID); err != nil || got.Version.Source != nv.Source || got.Version.Code != nv.Code {
		t.Fatalf("source read back as %q, %v; want %q", got.Version.Source, err, nv.Source)
	}
	runs := []functions.Run{
		{RequestID: "ok", FunctionID: d.ID, Tenant: "acme", Status: 200, StartedAt: time.UnixMilli(1)},
		{RequestID: "odd", FunctionID: d.ID, Tenant: "acme", Status: 500, Error: "boom\x00 \xfe!", StartedAt: time.UnixMilli(2)},
	}
	if err := s.SaveRuns(ctx, runs); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{"ok": "", "odd": "boom\uFFFD \uFFFD!"} {
		if r, err := s.RunByID(ctx, "acme", id); err != nil || r.Error != want {
			t.Errorf("run %s: error %q, %v; want %q", id, r.Error, err, want)
		}
	}
}

// What a function writes to kv or call state reads back byte for byte,
// even what TEXT would refuse.
func TestFunctionBytesKeptExactly(t *testing.T) {
	ctx := context.Background()
	s := openAt(t, pgtest.URL(t))
	odd := json.RawMessage("\"a\x00b\xff\"")
	if err := s.KVSet(ctx, "acme", "k", odd, 0, functions.KVQuota{}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.KVGet(ctx, "acme", "k"); err != nil || !ok || !bytes.Equal(v, odd) {
		t.Fatalf("kv: %q, %v, %v", v, ok, err)
	}
	if _, err := s.SaveCallState(ctx, "acme", "CA1", odd, 0, time.Hour); err != nil {
		t.Fatal(err)
	}
	if st, err := s.CallState(ctx, "acme", "CA1"); err != nil || !bytes.Equal(st.Data, odd) {
		t.Fatalf("call state: %q, %v", st.Data, err)
	}
}
