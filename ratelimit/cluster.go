package ratelimit

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterConfig configures a Cluster. Zero fields take the defaults given.
type ClusterConfig struct {
	// URL is the Redis to share limits through: redis://[user:pass@]host:port[/db]
	// (rediss:// for TLS).
	URL string
	// Prefix goes in front of every key (default "scriptforge:").
	Prefix string
	// ID names this gateway among the others (default: host-pid-random).
	ID string
	// OpTimeout bounds each Redis operation (default 100 ms): past it the
	// decision is made locally.
	OpTimeout time.Duration
	// Heartbeat is how often this gateway says it is alive and probes a
	// Redis it fell back from (default 1 s). A gateway is counted live for
	// three heartbeats.
	Heartbeat time.Duration
	// Lease is how long a concurrency slot outlives a gateway that died
	// holding it (default 10 s).
	Lease time.Duration
	// MaxKeys sizes the local fallback's buckets and waiting lines
	// (default 100,000).
	MaxKeys int
	Logger  *slog.Logger
}

// Cluster shares limits between gateways through Redis: its Limiter and
// Concurrency decide in Redis while it answers, and locally, with every
// limit divided by the number of gateways last seen alive, while it does
// not. A Redis outage costs accuracy, never a refused or failed call.
//
// Each gateway heartbeats into a sorted set of gateways scored by when
// its heartbeat expires; the heartbeat doubles as the probe that switches
// back to shared limits when Redis returns.
type Cluster struct {
	cfg    ClusterConfig
	rdb    *redis.Client
	log    *slog.Logger
	remote *Redis
	conc   *RedisConcurrency
	after  *afterRun    // CPU charges and slot releases, in the background
	admits *scriptBatch // admitScript's calls, pipelined

	down      atomic.Bool   // deciding locally
	fallbacks atomic.Uint64 // switches to local decisions
	live      atomic.Int64  // gateways alive at the last heartbeat (at least 1)

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewCluster connects to cfg.URL and starts heartbeating. An unreachable
// Redis is not an error: the gateway starts on local limits and switches
// when Redis answers. A malformed URL is.
func NewCluster(cfg ClusterConfig) (*Cluster, error) {
	opts, err := redis.ParseURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("ratelimit: redis url: %w", err)
	}
	cfg.Prefix = cmp.Or(cfg.Prefix, "scriptforge:")
	cfg.OpTimeout = cmp.Or(cfg.OpTimeout, 100*time.Millisecond)
	cfg.Heartbeat = cmp.Or(cfg.Heartbeat, time.Second)
	cfg.Lease = cmp.Or(cfg.Lease, 10*time.Second)
	cfg.MaxKeys = cmp.Or(cfg.MaxKeys, 100_000)
	if cfg.ID == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		cfg.ID = host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b[:])
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	// Short timeouts and no retries: a slow Redis must cost a call at most
	// one OpTimeout, after which the cluster decides locally.
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = cfg.OpTimeout, cfg.OpTimeout, cfg.OpTimeout
	// Waiting for a free connection is this gateway's load, not an
	// outage: a longer wait than for Redis itself, so that a burst of
	// calls does not switch the limits to local ones.
	opts.PoolTimeout = 5 * cfg.OpTimeout
	opts.MaxRetries = -1
	rdb := redis.NewClient(opts)
	c := &Cluster{cfg: cfg, rdb: rdb, log: log, remote: NewRedis(rdb, cfg.Prefix),
		stop: make(chan struct{}), done: make(chan struct{})}
	c.live.Store(1)
	c.conc, err = NewRedisConcurrency(rdb, cfg.Prefix, cfg.ID, cfg.Lease, cfg.MaxKeys, c.fail)
	if err != nil {
		rdb.Close()
		return nil, err
	}
	c.after = newAfterRun(rdb, c.fail)
	// Two senders: one round trip in flight while the next batch forms.
	c.admits = newScriptBatch(rdb, admitScript, 2, c.stop)
	c.conc.after = c.after
	c.beat()
	go c.heartbeats()
	return c, nil
}

// heartbeatScript records ARGV[1] as alive for ARGV[2] ms, forgets the
// gateways whose heartbeat expired, and returns how many are left.
var heartbeatScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return redis.call('ZCARD', KEYS[1])
`)

// beat heartbeats once: it counts the live gateways and, if Redis had
// been unreachable, switches back to shared limits.
func (c *Cluster) beat() {
	n, err := heartbeatScript.Run(context.Background(), c.rdb, []string{c.cfg.Prefix + "gateways"},
		c.cfg.ID, (3 * c.cfg.Heartbeat).Milliseconds()).Int64()
	if err != nil {
		c.fail(fmt.Errorf("%w: heartbeat: %w", errRedis, err))
		return
	}
	c.live.Store(max(1, n))
	if c.down.Load() {
		// The slots taken locally meanwhile go to Redis before any
		// decision is made there again, so that it counts them.
		if err := c.conc.Renew(); err != nil {
			c.fail(err)
			return
		}
	}
	if c.down.CompareAndSwap(true, false) {
		c.log.Info("ratelimit: redis reachable again, limits are shared", slog.Int64("gateways", n))
	}
}

func (c *Cluster) heartbeats() {
	defer close(c.done)
	tick := time.NewTicker(c.cfg.Heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-tick.C:
			c.beat()
		}
	}
}

// fail switches to local decisions after a failure to reach Redis,
// logging and counting the switch once, not every failure.
func (c *Cluster) fail(err error) {
	if c.down.CompareAndSwap(false, true) {
		c.fallbacks.Add(1)
		c.log.Warn("ratelimit: redis unreachable, limits are local and divided by the gateways last seen",
			slog.Int64("gateways", c.live.Load()), slog.Any("error", err))
	}
}

// Shared reports whether decisions are made in Redis (false: locally).
func (c *Cluster) Shared() bool { return !c.down.Load() }

// Fallbacks counts the switches to local decisions.
func (c *Cluster) Fallbacks() uint64 { return c.fallbacks.Load() }

// Gateways is the number of gateways alive at the last heartbeat that
// reached Redis (at least 1).
func (c *Cluster) Gateways() int { return int(c.live.Load()) }

// Close stops heartbeating and takes this gateway out of the count. Its
// concurrency slots still held free themselves with their leases.
func (c *Cluster) Close() error {
	c.once.Do(func() { close(c.stop) })
	<-c.done
	c.conc.Close()
	c.after.close() // what runs that ended owe, and the slots they freed
	if c.Shared() {
		c.rdb.ZRem(context.Background(), c.cfg.Prefix+"gateways", c.cfg.ID)
	}
	return c.rdb.Close()
}

// share is this gateway's part of p while it decides alone: the rate and
// burst divided by the gateways (a burst of at least 1).
func (c *Cluster) share(p Policy) Policy {
	n := c.live.Load()
	if n <= 1 || p.Unlimited() {
		return p
	}
	p.Rate /= float64(n)
	p.Burst = max(1, int(math.Ceil(float64(p.Burst)/float64(n))))
	return p
}

// Limiter returns a Limiter deciding in Redis, or locally while Redis is
// unreachable. Each has its own local buckets, so that (as with Local)
// separate ones keep one kind of key from evicting another.
func (c *Cluster) Limiter() (Limiter, error) {
	local, err := NewLocal(c.cfg.MaxKeys)
	if err != nil {
		return nil, err
	}
	return &clusterLimiter{c: c, local: local}, nil
}

type clusterLimiter struct {
	c     *Cluster
	local *Local
}

// Allow decides in Redis, or, when it cannot, locally on this gateway's
// share of p. The caller's cancellation is not a Redis failure: Redis is
// asked without it, bounded by OpTimeout.
func (l *clusterLimiter) Allow(ctx context.Context, key string, p Policy) (Decision, error) {
	if err := p.Validate(); err != nil || p.Unlimited() {
		return l.local.Allow(ctx, key, p) // the same error, or no limit
	}
	if l.c.Shared() {
		d, err := l.c.remote.Allow(context.WithoutCancel(ctx), key, p)
		if err == nil {
			return d, nil
		}
		l.c.fail(err)
	}
	return l.local.Allow(ctx, key, l.c.share(p))
}

// Debit is Allow's counterpart for budgets: in Redis, or locally on this
// gateway's share.
func (l *clusterLimiter) Debit(ctx context.Context, key string, p Policy, n float64) (Decision, error) {
	if err := checkDebit(key, p, n); err != nil || p.Unlimited() {
		return l.local.Debit(ctx, key, p, n)
	}
	if l.c.Shared() {
		d, err := l.c.remote.Debit(context.WithoutCancel(ctx), key, p, n)
		if err == nil {
			return d, nil
		}
		l.c.fail(err)
	}
	return l.local.Debit(ctx, key, l.c.share(p), n)
}

// Concurrency returns a ConcurrencyLimiter counting holders in Redis, or
// locally, against this gateway's share of each cap, while Redis is
// unreachable. Slots taken locally are added to Redis when it returns,
// before it decides again: a cap the gateways filled apart is then full
// in Redis too, until those slots are released.
func (c *Cluster) Concurrency() (ConcurrencyLimiter, error) {
	local, err := NewConcurrency(c.cfg.MaxKeys)
	if err != nil {
		return nil, err
	}
	return &clusterConcurrency{c: c, local: local}, nil
}

type clusterConcurrency struct {
	c     *Cluster
	local *Concurrency
}

func (cc *clusterConcurrency) Acquire(ctx context.Context, key string, limit, queue int, wait time.Duration) (func(), error) {
	if cc.c.Shared() && limit > 0 {
		release, err := cc.c.conc.Acquire(ctx, key, limit, queue, wait)
		if !errors.Is(err, errRedis) {
			return release, err
		}
		cc.c.fail(err)
	}
	if limit <= 0 {
		return cc.local.Acquire(ctx, key, limit, queue, wait)
	}
	if n := int(cc.c.live.Load()); n > 1 {
		limit = max(1, limit/n)
	}
	release, err := cc.local.Acquire(ctx, key, limit, queue, wait)
	if err != nil {
		return nil, err
	}
	known := cc.c.conc.Adopt(key)
	return func() { release(); known() }, nil
}
