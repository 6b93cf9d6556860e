package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

func testKV(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	q := functions.KVQuota{}

	if _, ok, err := s.KVGet(ctx, "acme", "missing"); ok || err != nil {
		t.Fatalf("missing key: %v %v", ok, err)
	}
	if err := s.KVSet(ctx, "acme", "user:1", json.RawMessage(`{"name":"Ada"}`), 0, q); err != nil {
		t.Fatal(err)
	}
	if err := s.KVSet(ctx, "acme", "user:1", json.RawMessage(`{"name":"Grace"}`), 0, q); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := s.KVGet(ctx, "acme", "user:1"); !ok || err != nil || string(v) != `{"name":"Grace"}` {
		t.Fatalf("overwritten value: %s %v %v", v, ok, err)
	}
	// Another tenant's key space is another.
	if _, ok, _ := s.KVGet(ctx, "globex", "user:1"); ok {
		t.Fatal("a tenant read another's key")
	}
	if ok, _ := s.KVDelete(ctx, "globex", "user:1"); ok {
		t.Fatal("a tenant deleted another's key")
	}

	// Expiry: gone once its time passes.
	if err := s.KVSet(ctx, "acme", "session", json.RawMessage(`"x"`), 2*time.Second, q); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if _, ok, _ := s.KVGet(ctx, "acme", "session"); !ok {
		t.Fatal("expired too early")
	}
	now = now.Add(2 * time.Second)
	if _, ok, _ := s.KVGet(ctx, "acme", "session"); ok {
		t.Fatal("did not expire")
	}

	// Counters.
	if n, err := s.KVIncr(ctx, "acme", "hits", 1, 0, q); n != 1 || err != nil {
		t.Fatalf("first incr: %v %v", n, err)
	}
	if n, err := s.KVIncr(ctx, "acme", "hits", 2.5, 0, q); n != 3.5 || err != nil {
		t.Fatalf("second incr: %v %v", n, err)
	}
	if _, err := s.KVIncr(ctx, "acme", "user:1", 1, 0, q); !errors.Is(err, functions.ErrKVNotNumber) {
		t.Fatalf("incr of an object: %v", err)
	}

	// Listing: prefix, order, cursor.
	for i := 0; i < 5; i++ {
		if err := s.KVSet(ctx, "acme", fmt.Sprintf("log:%02d", i), json.RawMessage(`1`), 0, q); err != nil {
			t.Fatal(err)
		}
	}
	page, err := s.KVList(ctx, "acme", "log:", "", 3)
	if err != nil || len(page) != 3 || page[0].Name != "log:00" || page[2].Name != "log:02" {
		t.Fatalf("first page: %v %v", page, err)
	}
	page, err = s.KVList(ctx, "acme", "log:", page[2].Name, 3)
	if err != nil || len(page) != 2 || page[0].Name != "log:03" || page[1].Name != "log:04" {
		t.Fatalf("second page: %v %v", page, err)
	}
	if all, _ := s.KVList(ctx, "acme", "", "", 100); len(all) != 7 { // user:1, hits, 5 logs
		t.Fatalf("all keys: %v", all)
	}

	// Durable across reopen.
	s.Close()
	s2 := s.reopen(t)
	if v, ok, _ := s2.KVGet(ctx, "acme", "hits"); !ok || string(v) != "3.5" {
		t.Fatalf("after reopen: %s %v", v, ok)
	}
}

func testKVQuota(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	q := functions.KVQuota{MaxKeys: 3, MaxBytes: 200}
	for i := 0; i < 3; i++ {
		if err := s.KVSet(ctx, "acme", fmt.Sprint("k", i), json.RawMessage(`1`), time.Minute, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.KVSet(ctx, "acme", "k3", json.RawMessage(`1`), 0, q); !errors.Is(err, functions.ErrKVQuota) {
		t.Fatalf("a fourth key: %v", err)
	}
	if err := s.KVSet(ctx, "acme", "k0", json.RawMessage(`2`), 0, q); err != nil {
		t.Fatalf("overwriting within quota: %v", err)
	}
	if err := s.KVSet(ctx, "acme", "k1", json.RawMessage(`"`+strings.Repeat("x", 300)+`"`), 0, q); !errors.Is(err, functions.ErrKVQuota) {
		t.Fatalf("too many bytes: %v", err)
	}
	if err := s.KVSet(ctx, "other", "k9", json.RawMessage(`1`), 0, q); err != nil {
		t.Fatalf("another tenant has its own quota: %v", err)
	}
	// Expired keys stop counting, and pruning removes them.
	now = now.Add(2 * time.Minute)
	if n, err := s.PruneKV(ctx); n != 2 || err != nil { // k1 and k2; k0 was rewritten without a ttl
		t.Fatalf("pruned %d, %v; want the 2 expired keys", n, err)
	}
	if n := count(t, s, `SELECT count(*) FROM kv WHERE tenant = 'acme'`); n != 1 {
		t.Fatalf("%d acme keys left after pruning; want k0", n)
	}
	if err := s.KVSet(ctx, "acme", "k3", json.RawMessage(`1`), 0, q); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
}

// Concurrent increments never lose one another.
func testKVIncrConcurrent(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 25; i++ {
				if _, err := s.KVIncr(ctx, "acme", "n", 1, 0, functions.KVQuota{}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if v, _, _ := s.KVGet(ctx, "acme", "n"); string(v) != "200" {
		t.Fatalf("200 increments made %s", v)
	}
}
