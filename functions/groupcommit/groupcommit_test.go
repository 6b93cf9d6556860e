package groupcommit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type item struct {
	n         int
	committed int // times a commit held it
	ctxErr    error
}

// Concurrent callers share commits; each item is committed once, before
// its Do returns, and one at a time; a caller's cancelled context does not
// reach the commit.
func TestGroup(t *testing.T) {
	var g Group[*item]
	var commits, inCommit atomic.Int32
	commit := func(ctx context.Context, batch []*item) {
		if inCommit.Add(1) != 1 {
			t.Error("two commits at once")
		}
		defer inCommit.Add(-1)
		commits.Add(1)
		time.Sleep(time.Millisecond) // others pile up meanwhile
		for _, it := range batch {
			it.committed++
			it.ctxErr = ctx.Err()
		}
	}
	const n = 200
	items := make([]*item, n)
	var wg sync.WaitGroup
	for i := range n {
		items[i] = &item{n: i}
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			if i%3 == 0 {
				cancel()
			}
			defer cancel()
			g.Do(ctx, items[i], commit)
			if items[i].committed != 1 {
				t.Errorf("item %d: Do returned after %d commits of it", i, items[i].committed)
			}
		})
	}
	wg.Wait()
	for _, it := range items {
		if it.committed != 1 || it.ctxErr != nil {
			t.Fatalf("item %d: committed %d times, context %v", it.n, it.committed, it.ctxErr)
		}
	}
	if c := commits.Load(); c >= n/2 {
		t.Fatalf("%d commits for %d concurrent items: not grouped", c, n)
	}
	if g.leading || len(g.pending) != 0 {
		t.Fatalf("left leading %v with %d pending", g.leading, len(g.pending))
	}
}

type callerKey struct{}

// A leader commits two rounds, then hands the lead to a waiting caller,
// who commits its own item.
func TestGroupHandsOver(t *testing.T) {
	var g Group[*item]
	type batchOf struct{ leader, first int }
	var mu sync.Mutex
	var batches []batchOf
	entered := make(chan struct{})
	gates := []chan struct{}{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	commit := func(ctx context.Context, batch []*item) {
		mu.Lock()
		batches = append(batches, batchOf{ctx.Value(callerKey{}).(int), batch[0].n})
		k := len(batches) - 1
		mu.Unlock()
		entered <- struct{}{}
		<-gates[k]
	}
	var wg sync.WaitGroup
	do := func(n int) {
		wg.Go(func() { g.Do(context.WithValue(context.Background(), callerKey{}, n), &item{n: n}, commit) })
	}
	waitPending := func() {
		for {
			g.mu.Lock()
			k := len(g.pending)
			g.mu.Unlock()
			if k > 0 {
				return
			}
			time.Sleep(time.Millisecond)
		}
	}
	do(0)
	<-entered // round 1: item 0
	do(1)
	waitPending()
	close(gates[0])
	<-entered // round 2: item 1
	do(2)
	waitPending()
	close(gates[1])
	<-entered // item 2, by its own caller
	close(gates[2])
	wg.Wait()
	want := []batchOf{{0, 0}, {0, 1}, {2, 2}}
	if len(batches) != len(want) || batches[0] != want[0] || batches[1] != want[1] || batches[2] != want[2] {
		t.Fatalf("batches (leader, first item): %v, want %v", batches, want)
	}
}
