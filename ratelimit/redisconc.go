package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ConcurrencyLimiter caps how many callers per key run at once. Concurrency
// does it in this process, RedisConcurrency across gateways.
type ConcurrencyLimiter interface {
	// Acquire waits for one of limit slots for key, behind at most queue
	// waiters, for at most wait (see Concurrency.Acquire). On success the
	// caller calls release when done.
	Acquire(ctx context.Context, key string, limit, queue int, wait time.Duration) (release func(), err error)
}

var _ ConcurrencyLimiter = (*Concurrency)(nil)

// errRedis marks a failure to reach Redis (not a refusal), so that a caller
// with a fallback can tell the two apart.
var errRedis = errors.New("ratelimit: redis unavailable")

// RedisConcurrency counts the holders of each key in Redis, so that a cap
// holds across gateways. Each holder is a member of a sorted set scored by
// the end of its lease; this process renews the leases of its holders, so
// the slots of a gateway that died free themselves when their lease ends.
//
// Waiting is local: the callers of one key queue in this process (FIFO,
// as Concurrency's), and the first in line polls Redis for a free slot.
// queue counts the callers behind that first one.
type RedisConcurrency struct {
	rdb    redis.UniversalClient
	prefix string
	lease  time.Duration
	id     string // this process's holders are id:<n>
	seq    atomic.Uint64
	line   *Concurrency // who polls Redis next, per key
	onErr  func(error)  // told of failures outside Acquire (renewals, releases)
	after  *afterRun    // if set, releases go through it

	mu   sync.Mutex
	held map[string]string // member → key

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewRedisConcurrency returns a RedisConcurrency with its keys under prefix
// and its holders named after id (unique per gateway). Leases last lease
// and are renewed every third of it; maxKeys bounds the keys that may have
// local waiters at once. onErr (may be nil) hears of failed renewals and
// releases.
func NewRedisConcurrency(rdb redis.UniversalClient, prefix, id string, lease time.Duration, maxKeys int, onErr func(error)) (*RedisConcurrency, error) {
	if lease < 3*time.Millisecond {
		return nil, fmt.Errorf("ratelimit: lease %v is too short to renew", lease)
	}
	line, err := NewConcurrency(maxKeys)
	if err != nil {
		return nil, err
	}
	if onErr == nil {
		onErr = func(error) {}
	}
	r := &RedisConcurrency{rdb: rdb, prefix: prefix, lease: lease, id: id, line: line, onErr: onErr,
		held: map[string]string{}, stop: make(chan struct{}), done: make(chan struct{})}
	go r.renew()
	return r, nil
}

// acquireScript drops expired holders of KEYS[1] and adds ARGV[1] if fewer
// than ARGV[2] are left, with a lease of ARGV[3] ms on Redis's clock.
var acquireScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`)

// renewScript extends ARGV[1]'s lease in KEYS[1], if it still holds one.
var renewScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// Acquire waits for one of limit slots for key across all gateways. Errors
// reaching Redis are returned as such, not as refusals.
func (r *RedisConcurrency) Acquire(ctx context.Context, key string, limit, queue int, wait time.Duration) (func(), error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return func() {}, nil
	}
	if wait <= 0 {
		release, err := r.try(ctx, key, limit)
		if err == nil && release == nil {
			err = ErrQueueFull
		}
		return release, err
	}
	deadline := time.Now().Add(wait)
	first, err := r.line.Acquire(ctx, key, 1, queue, wait)
	if err != nil {
		return nil, err
	}
	defer first() // the next in line polls next
	poll := time.Millisecond
	for {
		release, err := r.try(ctx, key, limit)
		if err != nil || release != nil {
			return release, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return nil, ErrQueueTimeout
		}
		// A slot held on another gateway is freed there, unseen here:
		// poll, backing off to 20 ms.
		timer := time.NewTimer(min(left, poll))
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		}
		poll = min(2*poll, 20*time.Millisecond)
	}
}

// try takes a slot if one is free: its release, or nil.
func (r *RedisConcurrency) try(ctx context.Context, key string, limit int) (func(), error) {
	member, zkey := r.member(), r.slotKey(key)
	// Not the caller's cancellation: a slot taken in Redis must be known
	// here, or it would be held until its lease ends.
	ok, err := acquireScript.Run(context.WithoutCancel(ctx), r.rdb, []string{zkey}, member, limit, r.lease.Milliseconds()).Int()
	if err != nil {
		return nil, fmt.Errorf("%w: concurrency %q: %w", errRedis, key, err)
	}
	if ok != 1 {
		return nil, nil
	}
	return r.hold(key, zkey, member), nil
}

// member names a new holder of this process.
func (r *RedisConcurrency) member() string { return r.id + ":" + strconv.FormatUint(r.seq.Add(1), 10) }

// slotKey is the sorted set of key's holders.
func (r *RedisConcurrency) slotKey(key string) string { return r.prefix + "conc:" + key }

// hold keeps renewing the lease of member, a holder of zkey taken in
// Redis, and returns its release.
func (r *RedisConcurrency) hold(key, zkey, member string) func() {
	r.mu.Lock()
	r.held[member] = zkey
	r.mu.Unlock()
	var done atomic.Bool
	return func() {
		if !done.CompareAndSwap(false, true) {
			return
		}
		r.mu.Lock()
		delete(r.held, member)
		r.mu.Unlock()
		if r.after != nil {
			// In the background, with other writes: the lease frees the
			// slot anyway if Redis cannot be written.
			r.after.send(afterOp{key: zkey, member: member})
			return
		}
		if err := r.rdb.ZRem(context.Background(), zkey, member).Err(); err != nil {
			// The lease frees the slot anyway.
			r.onErr(fmt.Errorf("%w: releasing %q: %w", errRedis, key, err))
		}
	}
}

// queued reports whether callers of this process wait for key: a
// newcomer does not take a slot ahead of them.
func (r *RedisConcurrency) queued(key string) bool { return r.line.InFlight(key) > 0 }

// renew extends the leases of this process's holders every third of a
// lease until Close.
func (r *RedisConcurrency) renew() {
	defer close(r.done)
	tick := time.NewTicker(r.lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
		r.mu.Lock()
		held := make(map[string]string, len(r.held))
		for m, k := range r.held {
			held[m] = k
		}
		r.mu.Unlock()
		if len(held) == 0 {
			continue
		}
		pipe := r.rdb.Pipeline()
		for m, k := range held {
			renewScript.Eval(context.Background(), pipe, []string{k}, m, r.lease.Milliseconds())
		}
		if _, err := pipe.Exec(context.Background()); err != nil {
			r.onErr(fmt.Errorf("%w: renewing leases: %w", errRedis, err))
		}
	}
}

// Close stops renewing leases. Slots still held are not given back: they
// free themselves when their lease ends, as a dead gateway's would.
func (r *RedisConcurrency) Close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}
