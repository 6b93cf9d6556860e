package sandbox

import (
	"context"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// The kv module in a sandbox: the store lives in the gateway, so the
// sandbox's engine gets a kvClient, which sends each call up the pipe
// tagged with the id of the run that made it, and waits for the answer.
// The gateway decides the tenant from that id (see process.kvCall): a
// sandbox, however compromised, reaches only the stores of the runs it
// is holding.

// frameKey is the context key of the id of the request a run serves.
type frameKey struct{}

// kvClient is the engine's KV inside a sandbox.
type kvClient struct {
	send    func(response) error
	mu      sync.Mutex
	next    uint64
	waiting map[uint64]chan functions.KVReply
}

func newKVClient() *kvClient { return &kvClient{waiting: map[uint64]chan functions.KVReply{}} }

var unavailable = functions.KVReply{Code: "unavailable", Error: "the kv store did not answer; try again"}

func (k *kvClient) KV(ctx context.Context, _ *functions.Invocation, op functions.KVOp) functions.KVReply {
	id, ok := ctx.Value(frameKey{}).(uint64)
	if !ok || k.send == nil {
		return unavailable
	}
	ch := make(chan functions.KVReply, 1)
	k.mu.Lock()
	k.next++
	call := k.next
	k.waiting[call] = ch
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		delete(k.waiting, call)
		k.mu.Unlock()
	}()
	if err := k.send(response{ID: id, KV: &kvCall{Call: call, Op: op}}); err != nil {
		return unavailable
	}
	select {
	case rep := <-ch:
		return rep
	case <-ctx.Done():
		return unavailable
	}
}

// deliver hands the gateway's answer to the waiting call.
func (k *kvClient) deliver(r *kvReply) {
	k.mu.Lock()
	ch := k.waiting[r.Call]
	k.mu.Unlock()
	if ch != nil {
		ch <- r.Reply
	}
}

// kvTimeout bounds one kv call at the gateway.
const kvTimeout = 10 * time.Second
