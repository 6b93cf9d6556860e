package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions/sqlite"
)

// TestSeed creates a few functions and reads them back the way an
// invocation does (by UUID): each is live, has its own code and hash,
// and the hash is what the transpiler would give.
func TestSeed(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "uuids.txt")
	const n = 7
	if err := run(dir, out, "default", "s", n, 3, 2000, 128); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	uuids := strings.Fields(string(raw))
	if len(uuids) != n {
		t.Fatalf("got %d UUIDs, want %d", len(uuids), n)
	}
	store, err := sqlite.Open(filepath.Join(dir, "scriptforge.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	hashes := map[string]bool{}
	for i, u := range uuids {
		d, err := store.ByUUID(context.Background(), u)
		if err != nil {
			t.Fatalf("function %d (%s): %v", i, u, err)
		}
		if !strings.Contains(d.Version.Code, "seed-000000000"+string(rune('0'+i))) {
			t.Errorf("function %d: code does not carry its number:\n%s", i, d.Version.Code)
		}
		if d.Tenant != "default" || d.Name != "s-"+string(rune('0'+i)) {
			t.Errorf("function %d: tenant %q name %q", i, d.Tenant, d.Name)
		}
		hashes[d.Version.Hash] = true
	}
	if len(hashes) != n {
		t.Fatalf("%d distinct hashes for %d functions", len(hashes), n)
	}
}

func TestSeedRefusesBadArguments(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name           string
		dataDir, out   string
		n, concurrency int
	}{
		{"no data dir", "", filepath.Join(dir, "o"), 1, 1},
		{"no out", dir, "", 1, 1},
		{"zero functions", dir, filepath.Join(dir, "o"), 0, 1},
		{"zero workers", dir, filepath.Join(dir, "o"), 1, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if err := run(tt.dataDir, tt.out, "default", "s", tt.n, tt.concurrency, 2000, 128); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
