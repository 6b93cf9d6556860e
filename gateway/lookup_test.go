package gateway

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

// countingStore counts ByUUID calls on a real store.
type countingStore struct {
	functions.Store
	byUUID atomic.Int64
}

func (s *countingStore) ByUUID(ctx context.Context, uuid string) (functions.Deployed, error) {
	s.byUUID.Add(1)
	return s.Store.ByUUID(ctx, uuid)
}

func TestLookupCache(t *testing.T) {
	ctx := context.Background()
	real, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	store := &countingStore{Store: real}
	d, err := real.Create(ctx, "t", "f", functions.Settings{}, functions.NewVersion{Type: functions.TypeScript, Source: "x", Code: "x", Hash: "h", Env: []functions.EnvVar{}, TimeoutMS: 1, MemoryMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	l := newLookupCache(store, 100, time.Minute)

	for i := 0; i < 3; i++ {
		if got, err := l.get(ctx, d.UUID); err != nil || got.ID != d.ID {
			t.Fatalf("get: %v %v", got, err)
		}
	}
	const unknown = "8f14e45f-ceea-467f-a8f2-0e2c1f3b9a11"
	for i := 0; i < 3; i++ {
		if _, err := l.get(ctx, unknown); !errors.Is(err, functions.ErrNotFound) {
			t.Fatalf("unknown: %v", err)
		}
	}
	if n := store.byUUID.Load(); n != 2 {
		t.Fatalf("store asked %d times, want 2 (one hit, one miss, each cached)", n)
	}
	// forget drops both kinds of entry.
	if _, err := real.RotateUUID(ctx, "t", d.ID, unknown); err != nil {
		t.Fatal(err)
	}
	l.forget(d.UUID, unknown)
	if got, err := l.get(ctx, unknown); err != nil || got.ID != d.ID {
		t.Fatalf("after rotate: %v %v", got, err)
	}
	if _, err := l.get(ctx, d.UUID); !errors.Is(err, functions.ErrNotFound) {
		t.Fatalf("old uuid still cached: %v", err)
	}
}

// pausingStore holds ByUUID after reading, until released: a read that
// an invalidation overtakes.
type pausingStore struct {
	countingStore
	read, release chan struct{}
}

func (s *pausingStore) ByUUID(ctx context.Context, uuid string) (functions.Deployed, error) {
	d, err := s.countingStore.ByUUID(ctx, uuid)
	s.read <- struct{}{}
	<-s.release
	return d, err
}

// TestLookupForgetOvertakesRead: what a read got before a forget (of a
// write it may predate) is answered but not kept; the next get reads the
// store again. Without a forget, it is kept.
func TestLookupForgetOvertakesRead(t *testing.T) {
	ctx := context.Background()
	real, err := sqlite.Open(filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	d, err := real.Create(ctx, "t", "f", functions.Settings{}, functions.NewVersion{Type: functions.TypeScript, Source: "x", Code: "x", Hash: "h", Env: []functions.EnvVar{}, TimeoutMS: 1, MemoryMB: 16})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		event func(l *lookupCache)
		reads int64 // store reads after two gets
	}{
		{"nothing meanwhile", func(*lookupCache) {}, 1},
		{"forget meanwhile", func(l *lookupCache) { l.forget(d.UUID) }, 2},
		{"purge meanwhile", func(l *lookupCache) { l.purge() }, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := &pausingStore{countingStore: countingStore{Store: real}, read: make(chan struct{}, 2), release: make(chan struct{})}
			l := newLookupCache(store, 100, time.Minute)
			done := make(chan error)
			go func() { _, err := l.get(ctx, d.UUID); done <- err }()
			<-store.read
			tc.event(l)
			close(store.release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if _, err := l.get(ctx, d.UUID); err != nil {
				t.Fatal(err)
			}
			if n := store.byUUID.Load(); n != tc.reads {
				t.Fatalf("store read %d times, want %d", n, tc.reads)
			}
		})
	}
}
