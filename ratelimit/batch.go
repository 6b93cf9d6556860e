package ratelimit

import (
	"context"
	"errors"

	"github.com/redis/go-redis/v9"
)

// errClosed answers the calls of a closed scriptBatch.
var errClosed = errors.New("ratelimit: closed")

// scriptBatch runs one script for many callers at once: the calls that
// arrive while a round trip is under way go together in the next one,
// as a pipeline. Under load, runs admitted together share the system
// calls that dominate a round trip's cost; alone, a call goes at once.
type scriptBatch struct {
	rdb    redis.UniversalClient
	script *redis.Script
	calls  chan *scriptCall
	stop   <-chan struct{}
}

type scriptCall struct {
	keys []string
	args []any
	res  any
	err  error
	done chan struct{}
}

// batchMax bounds one round trip's calls.
const batchMax = 64

// newScriptBatch starts senders goroutines that send calls of script;
// they stop when stop is closed.
func newScriptBatch(rdb redis.UniversalClient, script *redis.Script, senders int, stop <-chan struct{}) *scriptBatch {
	b := &scriptBatch{rdb: rdb, script: script, calls: make(chan *scriptCall, batchMax), stop: stop}
	for range senders {
		go b.send()
	}
	return b
}

// run runs the script with keys and args, in the next round trip. Once
// stopped, it answers errClosed (and whatever a call in flight did is
// not known).
func (b *scriptBatch) run(keys []string, args []any) (any, error) {
	c := &scriptCall{keys: keys, args: args, done: make(chan struct{})}
	select {
	case b.calls <- c:
	case <-b.stop:
		return nil, errClosed
	}
	select {
	case <-c.done:
		return c.res, c.err
	case <-b.stop:
		return nil, errClosed
	}
}

func (b *scriptBatch) send() {
	batch := make([]*scriptCall, 0, batchMax)
	for {
		select {
		case <-b.stop:
			return
		case c := <-b.calls:
			batch = append(batch[:0], c)
		}
	more:
		for len(batch) < batchMax {
			select {
			case c := <-b.calls:
				batch = append(batch, c)
			default:
				break more
			}
		}
		b.exec(batch)
		for i, c := range batch {
			close(c.done)
			batch[i] = nil
		}
	}
}

// exec runs batch in one pipeline. Calls that found the script missing
// (Redis restarted) did nothing: they run again once it is loaded.
func (b *scriptBatch) exec(batch []*scriptCall) {
	ctx := context.Background()
	cmds := make([]*redis.Cmd, len(batch))
	_, _ = b.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, c := range batch {
			cmds[i] = b.script.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		return nil
	})
	for i, c := range batch {
		c.res, c.err = cmds[i].Result()
		if c.err != nil && redis.HasErrorPrefix(c.err, "NOSCRIPT") {
			c.res, c.err = b.script.Run(ctx, b.rdb, c.keys, c.args...).Result()
		}
	}
}
