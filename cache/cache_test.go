package cache

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// counter returns a compile function that yields value with the given size
// and counts its calls in *calls.
func counter(calls *atomic.Int64, value string, size int64) func() (string, int64, error) {
	return func() (string, int64, error) {
		calls.Add(1)
		return value, size, nil
	}
}

// mustNotCompile fails the test if the cache compiles instead of hitting.
func mustNotCompile(t *testing.T) func() (string, int64, error) {
	t.Helper()
	return func() (string, int64, error) {
		t.Error("compile ran, want a cache hit")
		return "", 0, errors.New("unexpected compile")
	}
}

// keys lists the cached keys from least to most recently used, without
// touching their recency.
func keys[V any](c *Cache[V]) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Keys()
}

// checkInvariants verifies that the byte total matches the entries and stays
// within budget, and that no flight registration is left behind.
func checkInvariants[V any](t *testing.T, c *Cache[V]) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	var sum int64
	for _, e := range c.lru.Values() {
		sum += e.size
	}
	if sum != c.bytes {
		t.Errorf("bytes = %d, entries sum to %d", c.bytes, sum)
	}
	if c.bytes > c.maxBytes && c.bytes > 0 {
		t.Errorf("bytes = %d over budget %d", c.bytes, c.maxBytes)
	}
	if len(c.pending) != 0 {
		t.Errorf("%d pending flights left over", len(c.pending))
	}
}

// wait fails the test if ch does not deliver promptly. It only guards against
// a deadlock hanging the whole run; it is not used for synchronisation.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestGetHitMiss(t *testing.T) {
	tests := []struct {
		name               string
		gets               []string
		wantHits, wantMiss uint64
		wantCalls          int64
		wantEntries        int
	}{
		{name: "single", gets: []string{"a"}, wantMiss: 1, wantCalls: 1, wantEntries: 1},
		{name: "repeat", gets: []string{"a", "a", "a"}, wantHits: 2, wantMiss: 1, wantCalls: 1, wantEntries: 1},
		{name: "distinct", gets: []string{"a", "b", "c"}, wantMiss: 3, wantCalls: 3, wantEntries: 3},
		{name: "mixed", gets: []string{"a", "b", "a", "c", "b", "a"}, wantHits: 3, wantMiss: 3, wantCalls: 3, wantEntries: 3},
		{name: "empty key", gets: []string{"", ""}, wantHits: 1, wantMiss: 1, wantCalls: 1, wantEntries: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string](1 << 20)
			var calls atomic.Int64
			for _, k := range tt.gets {
				v, err := c.Get(k, counter(&calls, "v:"+k, 10))
				if err != nil {
					t.Fatalf("Get(%q): %v", k, err)
				}
				if v != "v:"+k {
					t.Fatalf("Get(%q) = %q, want %q", k, v, "v:"+k)
				}
			}
			s := c.Stats()
			if s.Hits != tt.wantHits || s.Misses != tt.wantMiss {
				t.Errorf("hits/misses = %d/%d, want %d/%d", s.Hits, s.Misses, tt.wantHits, tt.wantMiss)
			}
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("compile calls = %d, want %d", got, tt.wantCalls)
			}
			if s.Entries != tt.wantEntries || s.Bytes != int64(tt.wantEntries)*10 {
				t.Errorf("entries/bytes = %d/%d, want %d/%d", s.Entries, s.Bytes, tt.wantEntries, tt.wantEntries*10)
			}
			if s.Evictions != 0 || s.MaxBytes != 1<<20 {
				t.Errorf("evictions/max = %d/%d, want 0/%d", s.Evictions, s.MaxBytes, 1<<20)
			}
			checkInvariants(t, c)
		})
	}
}

func TestByteBoundLRU(t *testing.T) {
	type get struct {
		key  string
		size int64
	}
	tests := []struct {
		name          string
		maxBytes      int64
		gets          []get
		wantKeys      []string // oldest first
		wantBytes     int64
		wantEvictions uint64
	}{
		{
			name:     "fits exactly",
			maxBytes: 30,
			gets:     []get{{"a", 10}, {"b", 10}, {"c", 10}},
			wantKeys: []string{"a", "b", "c"}, wantBytes: 30,
		},
		{
			name:     "oldest evicted",
			maxBytes: 30,
			gets:     []get{{"a", 10}, {"b", 10}, {"c", 10}, {"d", 10}},
			wantKeys: []string{"b", "c", "d"}, wantBytes: 30, wantEvictions: 1,
		},
		{
			name:     "recent get protects entry",
			maxBytes: 30,
			gets:     []get{{"a", 10}, {"b", 10}, {"c", 10}, {"a", 0}, {"d", 10}},
			wantKeys: []string{"c", "a", "d"}, wantBytes: 30, wantEvictions: 1,
		},
		{
			name:     "several recent gets",
			maxBytes: 30,
			gets:     []get{{"a", 10}, {"b", 10}, {"c", 10}, {"b", 0}, {"a", 0}, {"d", 10}, {"e", 10}},
			wantKeys: []string{"a", "d", "e"}, wantBytes: 30, wantEvictions: 2,
		},
		{
			name:     "large entry evicts several",
			maxBytes: 30,
			gets:     []get{{"a", 10}, {"b", 10}, {"c", 10}, {"d", 25}},
			wantKeys: []string{"d"}, wantBytes: 25, wantEvictions: 3,
		},
		{
			name:     "uneven sizes evict only as needed",
			maxBytes: 30,
			gets:     []get{{"a", 5}, {"b", 20}, {"c", 5}, {"d", 10}},
			wantKeys: []string{"c", "d"}, wantBytes: 15, wantEvictions: 2,
		},
		{
			name:     "entry of exactly maxBytes kept",
			maxBytes: 30,
			gets:     []get{{"a", 10}, {"b", 30}},
			wantKeys: []string{"b"}, wantBytes: 30, wantEvictions: 1,
		},
		{
			name:     "zero and negative sizes cost nothing",
			maxBytes: 10,
			gets:     []get{{"a", 10}, {"b", 0}, {"c", -5}},
			wantKeys: []string{"a", "b", "c"}, wantBytes: 10,
		},
		{
			name:     "zero budget keeps only free entries",
			maxBytes: 0,
			gets:     []get{{"a", 1}, {"b", 0}},
			wantKeys: []string{"b"}, wantBytes: 0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string](tt.maxBytes)
			for _, g := range tt.gets {
				v, err := c.Get(g.key, func() (string, int64, error) { return "v:" + g.key, g.size, nil })
				if err != nil || v != "v:"+g.key {
					t.Fatalf("Get(%q) = %q, %v", g.key, v, err)
				}
			}
			if got := keys(c); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("keys = %q, want %q", got, tt.wantKeys)
			}
			s := c.Stats()
			if s.Bytes != tt.wantBytes || s.Entries != len(tt.wantKeys) || s.Evictions != tt.wantEvictions {
				t.Errorf("bytes/entries/evictions = %d/%d/%d, want %d/%d/%d",
					s.Bytes, s.Entries, s.Evictions, tt.wantBytes, len(tt.wantKeys), tt.wantEvictions)
			}
			checkInvariants(t, c)
		})
	}
}

func TestOversizeNotKept(t *testing.T) {
	tests := []struct {
		name     string
		maxBytes int64
		size     int64
	}{
		{name: "one byte over", maxBytes: 30, size: 31},
		{name: "far over", maxBytes: 30, size: 1 << 40},
		{name: "zero budget", maxBytes: 0, size: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string](tt.maxBytes)
			var small atomic.Int64
			if tt.maxBytes > 0 {
				if _, err := c.Get("small", counter(&small, "s", 1)); err != nil {
					t.Fatal(err)
				}
			}
			before := keys(c)

			var calls atomic.Int64
			for i := range 2 {
				v, err := c.Get("big", counter(&calls, "big", tt.size))
				if err != nil || v != "big" {
					t.Fatalf("Get #%d = %q, %v; want the value returned", i, v, err)
				}
			}
			if got := calls.Load(); got != 2 {
				t.Errorf("compile calls = %d, want 2 (oversize value must not be cached)", got)
			}
			// The oversize value must not have pushed anything out either.
			if got := keys(c); !slices.Equal(got, before) {
				t.Errorf("keys = %q, want %q", got, before)
			}
			if s := c.Stats(); s.Evictions != 0 || s.Misses != 2+uint64(small.Load()) {
				t.Errorf("evictions/misses = %d/%d, want 0/%d", s.Evictions, s.Misses, 2+small.Load())
			}
			checkInvariants(t, c)
		})
	}
}

func TestErrorsNotCached(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		failing func() (string, int64, error)
		wantErr func(error) bool
	}{
		{
			name:    "error",
			failing: func() (string, int64, error) { return "ignored", 10, errBoom },
			wantErr: func(err error) bool { return errors.Is(err, errBoom) },
		},
		{
			name:    "panic with error",
			failing: func() (string, int64, error) { panic(errBoom) },
			wantErr: func(err error) bool { return errors.Is(err, errBoom) && strings.Contains(err.Error(), "panicked") },
		},
		{
			name:    "panic with value",
			failing: func() (string, int64, error) { panic("kaput") },
			wantErr: func(err error) bool { return err != nil && strings.Contains(err.Error(), "kaput") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string](100)
			for i := range 2 {
				v, err := c.Get("k", tt.failing)
				if !tt.wantErr(err) {
					t.Fatalf("Get #%d error = %v", i, err)
				}
				if v != "" {
					t.Fatalf("Get #%d value = %q, want zero value on error", i, v)
				}
			}
			if s := c.Stats(); s.Misses != 2 || s.Entries != 0 || s.Bytes != 0 {
				t.Errorf("misses/entries/bytes = %d/%d/%d, want 2/0/0", s.Misses, s.Entries, s.Bytes)
			}
			checkInvariants(t, c)

			// A later successful compile is cached as usual.
			var calls atomic.Int64
			for range 2 {
				if v, err := c.Get("k", counter(&calls, "ok", 10)); err != nil || v != "ok" {
					t.Fatalf("Get = %q, %v", v, err)
				}
			}
			if calls.Load() != 1 {
				t.Errorf("compile calls = %d, want 1", calls.Load())
			}
		})
	}
}

// blockedInDo counts goroutines parked inside singleflight's Do waiting for
// another caller's flight: their stacks show (*Group).Do blocked in
// (*WaitGroup).Wait and, unlike the leader, not in doCall. Such a caller has
// already joined the flight and will receive its result whenever it ends.
func blockedInDo() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "singleflight.(*Group).Do(") &&
			strings.Contains(g, "sync.(*WaitGroup).Wait(") &&
			!strings.Contains(g, "singleflight.(*Group).doCall(") {
			count++
		}
	}
	return count
}

// TestSingleflight starts many goroutines for one key at once and holds the
// compile open until every other goroutine is parked waiting on it, so that
// all callers genuinely overlap. Without deduplication each of them would
// miss and compile; with errors (which are not cached) any straggler would
// start a second compile.
func TestSingleflight(t *testing.T) {
	const n = 100
	errBoom := errors.New("boom")
	tests := []struct {
		name    string
		result  func() (string, int64, error)
		wantErr error
		entries int
	}{
		{name: "value", result: func() (string, int64, error) { return "v", 10, nil }, entries: 1},
		{name: "error", result: func() (string, int64, error) { return "", 0, errBoom }, wantErr: errBoom},
		// Without recovery, singleflight re-panics in a fresh goroutine when
		// there are waiters, which would crash the test binary.
		{name: "panic", result: func() (string, int64, error) { panic(errBoom) }, wantErr: errBoom},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string](1 << 20)
			var (
				calls atomic.Int64
				start = make(chan struct{})
				done  sync.WaitGroup
			)
			compile := func() (string, int64, error) {
				calls.Add(1)
				// Barrier: do not finish until the other n-1 callers have
				// joined this flight. The deadline only stops a hang if
				// singleflight's internals ever change shape.
				deadline := time.Now().Add(10 * time.Second)
				for blockedInDo() < n-1 {
					if time.Now().After(deadline) {
						t.Errorf("only %d of %d callers joined the flight", blockedInDo(), n-1)
						break
					}
					runtime.Gosched()
				}
				return tt.result()
			}
			vals := make([]string, n)
			errs := make([]error, n)
			for i := range n {
				done.Add(1)
				go func() {
					defer done.Done()
					<-start
					vals[i], errs[i] = c.Get("k", compile)
				}()
			}
			close(start)
			done.Wait()

			if got := calls.Load(); got != 1 {
				t.Errorf("compile ran %d times, want 1", got)
			}
			for i := range n {
				if tt.wantErr != nil {
					if !errors.Is(errs[i], tt.wantErr) || vals[i] != "" {
						t.Fatalf("caller %d = %q, %v; want %v", i, vals[i], errs[i], tt.wantErr)
					}
				} else if errs[i] != nil || vals[i] != "v" {
					t.Fatalf("caller %d = %q, %v", i, vals[i], errs[i])
				}
			}
			// Every caller ran or waited on the compile, so all are misses.
			if s := c.Stats(); s.Hits != 0 || s.Misses != n || s.Entries != tt.entries {
				t.Errorf("hits/misses/entries = %d/%d/%d, want 0/%d/%d", s.Hits, s.Misses, s.Entries, n, tt.entries)
			}
			checkInvariants(t, c)
		})
	}
}

func TestRemove(t *testing.T) {
	tests := []struct {
		name      string
		fill      []string
		remove    string
		wantKeys  []string
		wantBytes int64
	}{
		{name: "present", fill: []string{"a", "b", "c"}, remove: "b", wantKeys: []string{"a", "c"}, wantBytes: 20},
		{name: "oldest", fill: []string{"a", "b"}, remove: "a", wantKeys: []string{"b"}, wantBytes: 10},
		{name: "only", fill: []string{"a"}, remove: "a", wantKeys: []string{}, wantBytes: 0},
		{name: "absent", fill: []string{"a"}, remove: "z", wantKeys: []string{"a"}, wantBytes: 10},
		{name: "empty cache", remove: "a", wantKeys: []string{}, wantBytes: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := New[string](100)
			var calls atomic.Int64
			for _, k := range tt.fill {
				if _, err := c.Get(k, counter(&calls, k, 10)); err != nil {
					t.Fatal(err)
				}
			}
			c.Remove(tt.remove)
			if got := keys(c); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("keys = %q, want %q", got, tt.wantKeys)
			}
			s := c.Stats()
			if s.Bytes != tt.wantBytes || s.Entries != len(tt.wantKeys) {
				t.Errorf("bytes/entries = %d/%d, want %d/%d", s.Bytes, s.Entries, tt.wantBytes, len(tt.wantKeys))
			}
			if s.Evictions != 0 {
				t.Errorf("evictions = %d, want 0 (Remove is not an eviction)", s.Evictions)
			}
			checkInvariants(t, c)

			// The removed key compiles again on the next Get.
			before := calls.Load()
			if v, err := c.Get(tt.remove, counter(&calls, "again", 10)); err != nil || v != "again" {
				t.Fatalf("Get after Remove = %q, %v", v, err)
			}
			if calls.Load() != before+1 {
				t.Errorf("Get after Remove did not compile")
			}
		})
	}
}

// TestRemoveDuringCompile checks that Remove invalidates a compilation that is
// in progress: the stale value reaches its caller but is not cached, and a Get
// after the Remove compiles afresh instead of joining the stale flight.
func TestRemoveDuringCompile(t *testing.T) {
	c := New[string](100)
	started := make(chan struct{})
	release := make(chan struct{})
	got := make(chan string, 1)
	go func() {
		v, err := c.Get("k", func() (string, int64, error) {
			close(started)
			<-release
			return "old", 10, nil
		})
		if err != nil {
			t.Error(err)
		}
		got <- v
	}()
	<-started
	c.Remove("k")

	// Must not wait for the old compile, which is still blocked.
	fresh := make(chan string, 1)
	go func() {
		v, err := c.Get("k", func() (string, int64, error) { return "new", 10, nil })
		if err != nil {
			t.Error(err)
		}
		fresh <- v
	}()
	if v := wait(t, fresh, "Get after Remove"); v != "new" {
		t.Fatalf("Get after Remove = %q, want %q", v, "new")
	}

	close(release)
	if v := wait(t, got, "stale Get"); v != "old" {
		t.Fatalf("stale Get = %q, want %q", v, "old")
	}
	// The stale result must not have replaced the fresh one.
	if v, err := c.Get("k", mustNotCompile(t)); err != nil || v != "new" {
		t.Fatalf("Get = %q, %v; want cached %q", v, err, "new")
	}
	if s := c.Stats(); s.Entries != 1 || s.Bytes != 10 {
		t.Errorf("entries/bytes = %d/%d, want 1/10", s.Entries, s.Bytes)
	}
	checkInvariants(t, c)
}

// TestConcurrentMixed hammers a small cache with overlapping keys, evictions
// and removals so that the race detector sees every path interleave.
func TestConcurrentMixed(t *testing.T) {
	const (
		workers = 8
		ops     = 2000
		nkeys   = 40
	)
	c := New[string](100)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range ops {
				n := (i*7 + w*13) % nkeys
				k := fmt.Sprintf("k%d", n)
				if i%17 == 0 {
					c.Remove(k)
					continue
				}
				v, err := c.Get(k, func() (string, int64, error) {
					if n%11 == 0 {
						return "", 0, errors.New("bad")
					}
					return "v" + k, int64(n%10 + 1), nil
				})
				if n%11 == 0 {
					if err == nil {
						t.Errorf("Get(%q) succeeded, want error", k)
					}
				} else if err != nil || v != "v"+k {
					t.Errorf("Get(%q) = %q, %v", k, v, err)
				}
				_ = c.Stats()
			}
		}()
	}
	wg.Wait()
	s := c.Stats()
	if s.Hits+s.Misses != workers*ops-workers*((ops+16)/17) {
		t.Errorf("hits+misses = %d, want %d", s.Hits+s.Misses, workers*ops-workers*((ops+16)/17))
	}
	checkInvariants(t, c)
}

func BenchmarkGetHit(b *testing.B) {
	c := New[string](1 << 20)
	compile := func() (string, int64, error) { return "program", 100, nil }
	if _, err := c.Get("k", compile); err != nil {
		b.Fatal(err)
	}
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Get("k", compile); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := c.Get("k", compile); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
