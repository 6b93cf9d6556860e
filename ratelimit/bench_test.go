package ratelimit

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// The limiter's share of an invocation: one Allow per bucket (client IP,
// function, tenant), one Acquire per concurrency cap, one header pair.
//
//	go test -run '^$' -bench . -benchmem ./ratelimit/

func BenchmarkAllow(b *testing.B) {
	p := Policy{Name: "tenant", Rate: 1e9, Burst: 1e9}
	b.Run("one-key", func(b *testing.B) {
		l, _ := NewLocal(1000)
		ctx := context.Background()
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if d, err := l.Allow(ctx, "tenant:bench", p); err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
	})
	b.Run("10k-keys", func(b *testing.B) {
		l, _ := NewLocal(100_000)
		ctx := context.Background()
		keys := make([]string, 10_000)
		for i := range keys {
			keys[i] = "ip:t:" + strconv.Itoa(i)
		}
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				i++
				if d, err := l.Allow(ctx, keys[i%len(keys)], p); err != nil || !d.Allowed {
					b.Fatal(d, err)
				}
			}
		})
	})
	b.Run("unlimited", func(b *testing.B) {
		l, _ := NewLocal(1000)
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := l.Allow(ctx, "tenant:bench", Policy{Name: "tenant"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAcquire takes and releases one slot of a key, in parallel.
func BenchmarkAcquire(b *testing.B) {
	c, _ := NewConcurrency(1000)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			release, err := c.Acquire(ctx, "tenant:bench", 1_000_000, 100, time.Second)
			if err != nil {
				b.Fatal(err)
			}
			release()
		}
	})
}

// BenchmarkWriteHeaders renders an allowed decision's two headers, as
// strings and (what the gateway uses) appended to a buffer.
func BenchmarkWriteHeaders(b *testing.B) {
	d := Decision{Allowed: true, Policy: Policy{Name: "function", Rate: 100, Burst: 200}, Remaining: 150, Reset: 500 * time.Millisecond}
	n := 0
	b.Run("strings", func(b *testing.B) {
		set := func(name, value string) { n += len(value) }
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			d.WriteHeaders(set)
		}
	})
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		var buf [128]byte
		for i := 0; i < b.N; i++ {
			n += len(d.AppendPolicy(buf[:0])) + len(d.AppendRateLimit(buf[:0]))
		}
	})
	if n == 0 {
		b.Fatal("nothing written")
	}
}
