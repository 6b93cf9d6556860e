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
	held map[string]holder // by member

	renewing sync.Mutex // one renewal at a time: the loop's, or a returning Redis's

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
		held: map[string]holder{}, stop: make(chan struct{}), done: make(chan struct{})}
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

// renewScript extends ARGV[1]'s lease in KEYS[1], if it still holds one;
// with ARGV[3] = 1, it adds ARGV[1] if it does not (past the cap: the
// holder runs already, and Redis must count it).
var renewScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if ARGV[3] == '1' then
  redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
elseif redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[2]), ARGV[1]) == 1 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
`)

// holder is a slot this process holds: its set in Redis, and whether
// Redis may not know of it (taken locally while Redis was unreachable, or
// with a lease that may have ended during an outage).
type holder struct {
	zkey   string
	unsure bool
}

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
	return r.keep(key, zkey, member, false)
}

// Adopt makes a slot of key, taken outside Redis (by a local limiter
// while Redis was unreachable), known to Redis at the next renewal that
// reaches it, so that the other gateways count it for as long as it is
// held. It returns the slot's release, which the holder calls along with
// its local one.
func (r *RedisConcurrency) Adopt(key string) func() {
	return r.keep(key, r.slotKey(key), r.member(), true)
}

func (r *RedisConcurrency) keep(key, zkey, member string, unsure bool) func() {
	r.mu.Lock()
	r.held[member] = holder{zkey: zkey, unsure: unsure}
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
		if err := r.Renew(); err != nil {
			r.onErr(err)
		}
	}
}

// Renew extends the leases of this process's holders now, and adds to
// Redis those it may not know of. After a failure, every holder is in
// doubt: its lease may end before Redis is reached again.
func (r *RedisConcurrency) Renew() error {
	r.renewing.Lock()
	defer r.renewing.Unlock()
	r.mu.Lock()
	held := make(map[string]holder, len(r.held))
	for m, h := range r.held {
		held[m] = h
	}
	r.mu.Unlock()
	if len(held) == 0 {
		return nil
	}
	pipe := r.rdb.Pipeline()
	for m, h := range held {
		add := 0
		if h.unsure {
			add = 1
		}
		renewScript.Eval(context.Background(), pipe, []string{h.zkey}, m, r.lease.Milliseconds(), add)
	}
	if _, err := pipe.Exec(context.Background()); err != nil {
		r.mu.Lock()
		for m, h := range r.held {
			h.unsure = true
			r.held[m] = h
		}
		r.mu.Unlock()
		return fmt.Errorf("%w: renewing leases: %w", errRedis, err)
	}
	// A holder added back may have been released meanwhile, its removal
	// written before the add: remove it again, or it would count until
	// its lease ends.
	var gone []holder
	var members []string
	r.mu.Lock()
	for m, h := range held {
		if !h.unsure {
			continue
		}
		if now, ok := r.held[m]; ok {
			now.unsure = false
			r.held[m] = now
		} else {
			gone, members = append(gone, h), append(members, m)
		}
	}
	r.mu.Unlock()
	if len(gone) > 0 {
		pipe := r.rdb.Pipeline()
		for i, h := range gone {
			pipe.ZRem(context.Background(), h.zkey, members[i])
		}
		if _, err := pipe.Exec(context.Background()); err != nil {
			return fmt.Errorf("%w: releasing slots: %w", errRedis, err)
		}
	}
	return nil
}

// Close stops renewing leases. Slots still held are not given back: they
// free themselves when their lease ends, as a dead gateway's would.
func (r *RedisConcurrency) Close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}
