package ratelimit

import (
	"context"
	"fmt"
	"sync"

	"github.com/redis/go-redis/v9"
)

// afterRun makes the writes that follow a run (CPU charges, slot
// releases) in the background, off the caller's answer: whatever is
// waiting goes to Redis in one pipelined round trip, so under load many
// runs share one. Nothing it does depends on the caller staying.
type afterRun struct {
	rdb   redis.UniversalClient
	onErr func(error)
	ops   chan afterOp

	mu     sync.RWMutex // closed, against sends to a closed ops
	closed bool
	done   chan struct{}
}

// afterOp is one write: a slot release when member is set (key is the
// slot's set), a debit otherwise (key is the balance).
type afterOp struct {
	key    string
	member string     // the slot's holder
	args   []any      // debitScript's arguments
	cmd    *redis.Cmd // the debit's, once sent
	// failed, if set, is told when Redis could not be written (a debit
	// is then made locally; a slot frees itself with its lease).
	failed func()
}

// afterBatch bounds one round trip's writes.
const afterBatch = 256

func newAfterRun(rdb redis.UniversalClient, onErr func(error)) *afterRun {
	a := &afterRun{rdb: rdb, onErr: onErr, ops: make(chan afterOp, 4*afterBatch), done: make(chan struct{})}
	go a.loop()
	return a
}

// send queues op, or writes it at once if the queue is full (Redis is
// slow: the caller waits rather than the queue growing). After close,
// Redis is not written: op fails.
func (a *afterRun) send(op afterOp) {
	a.mu.RLock()
	if a.closed {
		a.mu.RUnlock()
		if op.failed != nil {
			op.failed()
		}
		return
	}
	select {
	case a.ops <- op:
		a.mu.RUnlock()
		return
	default:
	}
	a.mu.RUnlock()
	a.write([]afterOp{op})
}

func (a *afterRun) loop() {
	defer close(a.done)
	batch := make([]afterOp, 0, afterBatch)
	for op := range a.ops {
		batch = append(batch[:0], op)
	more:
		for len(batch) < afterBatch {
			select {
			case op, ok := <-a.ops:
				if !ok {
					break more
				}
				batch = append(batch, op)
			default:
				break more
			}
		}
		a.write(batch)
	}
}

// write sends ops in one pipeline. Debits that found the script missing
// (Redis restarted) did nothing: they are sent again once it is loaded.
func (a *afterRun) write(ops []afterOp) {
	ctx := context.Background()
	err := a.pipeline(ctx, ops)
	if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		var again []afterOp
		for _, op := range ops {
			if op.cmd != nil && redis.HasErrorPrefix(op.cmd.Err(), "NOSCRIPT") {
				again = append(again, op)
			}
		}
		if err = debitScript.Load(ctx, a.rdb).Err(); err == nil {
			ops = again
			err = a.pipeline(ctx, ops)
		}
	}
	if err == nil {
		return
	}
	a.onErr(fmt.Errorf("%w: %d writes after runs: %w", errRedis, len(ops), err))
	for _, op := range ops {
		if op.failed != nil && (op.cmd == nil || op.cmd.Err() != nil) {
			op.failed()
		}
	}
}

// pipeline sends ops; each debit's command is kept in its op.
func (a *afterRun) pipeline(ctx context.Context, ops []afterOp) error {
	// Exec's error is the first command's that failed.
	_, err := a.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i := range ops {
			if op := &ops[i]; op.member != "" {
				pipe.ZRem(ctx, op.key, op.member)
			} else {
				op.cmd = debitScript.EvalSha(ctx, pipe, []string{op.key}, op.args...)
			}
		}
		return nil
	})
	return err
}

// close writes what is queued and stops.
func (a *afterRun) close() {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.ops)
	}
	a.mu.Unlock()
	<-a.done
}
