package cluster

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Cancelling a run served by another gateway: the asking gateway sends
// {cancel, tenant, rid, token}; the gateway that runs it tells it to
// stop and answers "cancelling" at once, then "stopped" when the run is
// over (within the wait the asker gave). The others say nothing.

// CancelOutcome is what became of a cancel sent over the bus.
type CancelOutcome int

const (
	// CancelNotFound: no gateway answered in time.
	CancelNotFound CancelOutcome = iota
	// CancelCancelling: a gateway told its run to stop; it had not
	// stopped within the wait.
	CancelCancelling
	// CancelStopped: the run stopped within the wait.
	CancelStopped
)

const (
	stateCancelling = "cancelling"
	stateStopped    = "stopped"
)

// cancels are the cancels this gateway waits on, by token.
type cancels struct {
	mu      sync.Mutex
	waiting map[string]chan string
}

func (c *cancels) init() { c.waiting = map[string]chan string{} }

func (c *cancels) reply(token, state string) {
	c.mu.Lock()
	ch := c.waiting[token]
	c.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- state:
	default: // a reply nobody waits for any more
	}
}

// Cancel asks the other gateways to stop tenant's run rid. It waits up
// to find for a gateway to say it has the run, then up to stop for the
// run to end.
func (b *Bus) Cancel(ctx context.Context, tenant, rid string, find, stop time.Duration) (CancelOutcome, error) {
	token := randomHex(12)
	ch := make(chan string, 2)
	b.cancels.mu.Lock()
	b.cancels.waiting[token] = ch
	b.cancels.mu.Unlock()
	defer func() {
		b.cancels.mu.Lock()
		delete(b.cancels.waiting, token)
		b.cancels.mu.Unlock()
	}()
	e := envelope{T: msgCancel, Token: token, Tenant: tenant, RID: rid, WaitMS: stop.Milliseconds()}
	if err := b.send(ctx, b.chBus, e); err != nil {
		return CancelNotFound, err
	}
	t := time.NewTimer(find)
	defer t.Stop()
	outcome := CancelNotFound
	for {
		select {
		case state := <-ch:
			if state == stateStopped {
				return CancelStopped, nil
			}
			if outcome == CancelNotFound { // found: now wait for it to stop
				outcome = CancelCancelling
				t.Reset(stop)
			}
		case <-t.C:
			return outcome, nil
		case <-ctx.Done():
			return outcome, ctx.Err()
		}
	}
}

// answerCancel handles another gateway's cancel: if the run is here, it
// is told to stop and the asker hears of it.
func (b *Bus) answerCancel(h *Handlers, e envelope) {
	if h.Cancel == nil {
		return
	}
	done := h.Cancel(e.Tenant, e.RID)
	if done == nil {
		return
	}
	wait := min(time.Duration(e.WaitMS)*time.Millisecond, 30*time.Second)
	reply := func(state string) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		defer cancel()
		if err := b.send(ctx, b.chBus, envelope{T: msgCancelReply, Token: e.Token, To: e.From, State: state}); err != nil && b.ctx.Err() == nil {
			b.log.Warn("cluster: answering a cancel", slog.String("request_id", e.RID), slog.Any("error", err))
		}
	}
	// Not on the listener's goroutine: the replies wait on the run. The
	// listener holds a count of wg, so Close waits for this one too.
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		select {
		case <-done: // over already: one answer says all
			reply(stateStopped)
			return
		default:
		}
		reply(stateCancelling)
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-done:
			reply(stateStopped)
		case <-t.C:
		case <-b.ctx.Done():
		}
	}()
}
