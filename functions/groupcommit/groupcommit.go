// Package groupcommit lets concurrent callers share one commit: one
// caller leads, committing what is pending in one go, then what came
// meanwhile; the others wait for it. The stores use it for Enqueue, where
// a commit per accepted call (an fsync, or a round of PostgreSQL's WAL
// flush) is what limited accepts.
package groupcommit

import (
	"context"
	"sync"
)

// Group gathers the items of concurrent Do calls into batches. After
// two rounds the leader hands the lead to a waiting caller, so under
// steady load no caller commits for the others forever. The zero Group is
// ready to use.
type Group[T any] struct {
	mu      sync.Mutex
	pending []*waiter[T]
	leading bool
}

type waiter[T any] struct {
	item T
	lead bool          // handed the lead (under Group.mu)
	wake chan struct{} // committed, or handed the lead
}

// Do adds item to the pending batch and returns once commit has been
// called on a batch holding it, by this caller or by another. commit
// must record its outcome in the items (they are pointers, as a rule),
// and every caller of one Group must pass the same commit. Its context
// is not cancelled with any one caller's: it commits the others' items
// too.
func (g *Group[T]) Do(ctx context.Context, item T, commit func(context.Context, []T)) {
	w := &waiter[T]{item: item, wake: make(chan struct{}, 1)}
	g.mu.Lock()
	g.pending = append(g.pending, w)
	if !g.leading {
		g.leading = true
		g.lead(ctx, commit) // commits item among others
		return
	}
	g.mu.Unlock()
	<-w.wake // committed, or handed the lead
	g.mu.Lock()
	if w.lead {
		w.lead = false
		g.lead(ctx, commit) // commits item among others
		return
	}
	g.mu.Unlock()
}

// lead is called with the mutex held and the lead taken; it returns with
// the mutex released.
func (g *Group[T]) lead(ctx context.Context, commit func(context.Context, []T)) {
	ctx = context.WithoutCancel(ctx)
	for rounds := 0; ; rounds++ {
		if len(g.pending) == 0 {
			g.leading = false
			g.mu.Unlock()
			return
		}
		if rounds == 2 { // hand over: this caller's item is committed
			next := g.pending[0]
			next.lead = true
			g.mu.Unlock()
			next.wake <- struct{}{}
			return
		}
		batch := g.pending
		g.pending = nil
		g.mu.Unlock()
		items := make([]T, len(batch))
		for i, w := range batch {
			items[i] = w.item
		}
		commit(ctx, items)
		for _, w := range batch {
			w.wake <- struct{}{}
		}
		g.mu.Lock()
	}
}
