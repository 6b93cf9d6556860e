// Package cluster makes several gateways on one PostgreSQL database act
// as one: a bus over LISTEN/NOTIFY carries cache invalidations, cancel
// requests and the log lines someone follows; a session advisory lock
// elects the one gateway that runs the schedules.
//
// The package talks to PostgreSQL through connections of its own (a
// listener, a small pool for NOTIFY, one for the leader's lock), so it
// works whatever store the gateways use. It knows nothing of the
// gateway: the gateway hands it Handlers and calls its methods.
package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/scriptforge/scriptforge/functions/logstream"
)

// Config configures a Bus. DSN is required.
type Config struct {
	// DSN is a PostgreSQL connection string (postgres://… or key=value).
	DSN string
	// Prefix starts the names of the bus's channels and identifies its
	// sequence row and leader lock: gateways with the same prefix on one
	// database form one cluster. Lower-case letters, digits and _, at
	// most 40. Default "scriptforge".
	Prefix string
	// Node names this gateway on the bus. Default: host name plus a
	// random suffix, so that two gateways on one host differ.
	Node string
	// Logger defaults to discarding.
	Logger *slog.Logger
	// Poll is how often the sequence of invalidations is checked, the
	// safety net for a missed notification. Default 2 s.
	Poll time.Duration
	// LeaderRetry is how often a follower tries to take the leader's
	// lock, and the leader checks that its connection still holds it.
	// Default 2 s.
	LeaderRetry time.Duration
	// Interest is how often a gateway repeats which functions' logs it
	// follows; an announcement lasts three times as long. Default 10 s.
	Interest time.Duration
}

// Handlers are what the gateway does with what the bus brings. Each may
// be nil. They are called from the bus's goroutine and must not block,
// except Cancel's returned channel, which the bus waits on elsewhere.
type Handlers struct {
	// Invalidate drops what the caches hold of one thing.
	Invalidate func(Invalidation)
	// Purge drops everything the caches hold: a notification may have
	// been missed.
	Purge func()
	// Cancel stops tenant's run rid if it runs here, and returns a
	// channel closed when it is over; nil when it is not here.
	Cancel func(tenant, rid string) <-chan struct{}
	// Log hands a line of another gateway's run to the local followers.
	Log func(functionID string, l logstream.Line)
}

// maxPayload keeps a notification under PostgreSQL's limit of 8000
// bytes, with room for the envelope.
const maxPayload = 7900

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Bus is one gateway's end of the cluster. Open it, give it Handlers,
// Close it when the gateway stops.
type Bus struct {
	cfg      Config
	log      *slog.Logger
	node     string
	chBus    string // invalidations, cancels, interest
	chLogs   string // followed log lines
	pool     *pgxpool.Pool
	handlers atomic.Pointer[Handlers]

	ctx    context.Context // ends with Close
	stop   context.CancelFunc
	wg     sync.WaitGroup
	closed sync.Once

	connected atomic.Bool
	leader    atomic.Bool

	// lastSeq is the newest invalidation sequence number accounted for.
	seqMu   sync.Mutex
	lastSeq int64

	purges       atomic.Uint64
	applied      atomic.Uint64 // invalidations handed to the gateway
	reconnects   atomic.Uint64
	logsDropped  atomic.Uint64
	publishFails atomic.Uint64

	interest interest
	logQueue chan logItem
	cancels  cancels
}

// SequenceTable holds one row per cluster prefix: the sequence number of its
// latest invalidation.
const SequenceTable = "scriptforge_cluster_seq"

// Open connects, makes the sequence table if it is missing, starts
// listening and returns once the bus is live.
func Open(ctx context.Context, cfg Config) (*Bus, error) {
	if cfg.DSN == "" {
		return nil, errors.New("cluster: a DSN is required")
	}
	cfg.Prefix = cmp.Or(cfg.Prefix, "scriptforge")
	if !prefixRE.MatchString(cfg.Prefix) {
		return nil, fmt.Errorf("cluster: prefix %q: use 1–40 lower-case letters, digits or _, starting with a letter", cfg.Prefix)
	}
	cfg.Poll = cmp.Or(cfg.Poll, 2*time.Second)
	cfg.LeaderRetry = cmp.Or(cfg.LeaderRetry, 2*time.Second)
	cfg.Interest = cmp.Or(cfg.Interest, 10*time.Second)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Node == "" {
		host, _ := os.Hostname()
		cfg.Node = cmp.Or(host, "gateway") + "-" + randomHex(4)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		return nil, fmt.Errorf("cluster: database URL: %w", err)
	}
	pcfg.MaxConns = 4 // NOTIFYs and the sequence poll: short statements
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	b := &Bus{cfg: cfg, log: cfg.Logger.With(slog.String("node", cfg.Node)), node: cfg.Node,
		chBus: cfg.Prefix + "_bus", chLogs: cfg.Prefix + "_logs", pool: pool,
		logQueue: make(chan logItem, 4096)}
	b.interest.init()
	b.cancels.init()
	b.handlers.Store(&Handlers{})
	if err := b.createTable(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	conn, err := b.connectListener(ctx)
	if err != nil {
		pool.Close()
		return nil, err
	}
	// Listening before the sequence is read: what comes in between is
	// applied twice at worst, never missed.
	if b.lastSeq, err = b.readSeq(ctx); err != nil {
		conn.Close(context.Background())
		pool.Close()
		return nil, err
	}
	b.ctx, b.stop = context.WithCancel(context.Background())
	b.wg.Add(4)
	go b.listen(conn)
	go b.poll()
	go b.announce()
	go b.sendLogs()
	b.send(b.ctx, b.chBus, envelope{T: msgHello}) // followers elsewhere say what they follow
	return b, nil
}

// SetHandlers replaces what the bus calls; the zero Handlers ignore all.
func (b *Bus) SetHandlers(h Handlers) { b.handlers.Store(&h) }

// Node is this gateway's name on the bus.
func (b *Bus) Node() string { return b.node }

// Close stops the bus: its connections close, so the leader's lock, if
// this gateway holds it, goes to another gateway.
func (b *Bus) Close() {
	b.closed.Do(func() {
		b.stop()
		b.wg.Wait()
		b.pool.Close()
	})
}

// Stats are the bus's figures, for metrics and readiness.
type Stats struct {
	Node         string `json:"node"`
	Connected    bool   `json:"connected"`
	Leader       bool   `json:"leader"`
	Purges       uint64 `json:"purges"`
	Applied      uint64 `json:"invalidations"`
	Reconnects   uint64 `json:"reconnects"`
	LogsDropped  uint64 `json:"logs_dropped"`
	PublishFails uint64 `json:"publish_failures"`
}

// Stats returns the bus's figures now.
func (b *Bus) Stats() Stats {
	return Stats{Node: b.node, Connected: b.connected.Load(), Leader: b.leader.Load(),
		Purges: b.purges.Load(), Applied: b.applied.Load(), Reconnects: b.reconnects.Load(),
		LogsDropped: b.logsDropped.Load(), PublishFails: b.publishFails.Load()}
}

// IsLeader reports whether this gateway holds the leader's lock now.
func (b *Bus) IsLeader() bool { return b.leader.Load() }

func (b *Bus) createTable(ctx context.Context) error {
	// Gateways starting together would race on CREATE TABLE IF NOT
	// EXISTS (it can fail on the catalog's unique index): a transaction
	// lock orders them.
	tx, err := b.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // after Commit: a no-op
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, lockKey("table:"+SequenceTable)); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+SequenceTable+` (prefix text PRIMARY KEY, seq bigint NOT NULL)`); err != nil {
		return fmt.Errorf("cluster: creating %s: %w", SequenceTable, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}

func (b *Bus) readSeq(ctx context.Context) (int64, error) {
	var seq int64
	err := b.pool.QueryRow(ctx, `SELECT seq FROM `+SequenceTable+` WHERE prefix = $1`, b.cfg.Prefix).Scan(&seq)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cluster: reading the sequence: %w", err)
	}
	return seq, nil
}

func (b *Bus) connectListener(ctx context.Context) (*pgx.Conn, error) {
	conn, err := b.connect(ctx, "bus")
	if err != nil {
		return nil, fmt.Errorf("cluster: connecting: %w", err)
	}
	for _, ch := range []string{b.chBus, b.chLogs} {
		if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{ch}.Sanitize()); err != nil {
			conn.Close(context.Background())
			return nil, fmt.Errorf("cluster: LISTEN %s: %w", ch, err)
		}
	}
	b.connected.Store(true)
	return conn, nil
}

// connect opens a connection of the bus's own, named after its role
// and node in pg_stat_activity.
func (b *Bus) connect(ctx context.Context, role string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig(b.cfg.DSN)
	if err != nil {
		return nil, err
	}
	cfg.RuntimeParams["application_name"] = "scriptforge-" + role + " " + b.node
	if role == "leader" {
		// A leader whose machine vanishes sends no FIN: the server finds
		// its session dead by keepalive, 3 s idle then 3 probes 1 s apart,
		// and frees the lock well within the 10 s a takeover may take.
		// (Ignored over a Unix socket, where death is seen at once.)
		cfg.RuntimeParams["tcp_keepalives_idle"] = "3"
		cfg.RuntimeParams["tcp_keepalives_interval"] = "1"
		cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// listen reads notifications until Close, connecting again whenever the
// connection is lost; after a reconnect every cache is dropped, since
// what was said meanwhile is lost.
func (b *Bus) listen(conn *pgx.Conn) {
	defer b.wg.Done()
	backoff := 100 * time.Millisecond
	for {
		if conn == nil {
			var err error
			conn, err = b.connectListener(b.ctx)
			if err != nil {
				if b.ctx.Err() != nil {
					return
				}
				b.log.Warn("cluster: reconnecting the listener", slog.Any("error", err), slog.Duration("retry_in", backoff))
				select {
				case <-b.ctx.Done():
					return
				case <-time.After(backoff):
				}
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			b.reconnects.Add(1)
			b.log.Info("cluster: listener reconnected; dropping every cache")
			b.resync()
			b.send(b.ctx, b.chBus, envelope{T: msgHello})
		}
		n, err := conn.WaitForNotification(b.ctx)
		if err != nil {
			b.connected.Store(false)
			conn.Close(context.Background())
			conn = nil
			if b.ctx.Err() != nil {
				return
			}
			b.log.Warn("cluster: listener lost its connection", slog.Any("error", err))
			continue
		}
		b.dispatch(n)
	}
}

// resync drops every cache and takes the stored sequence as seen.
func (b *Bus) resync() {
	b.purge()
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	if seq, err := b.readSeq(ctx); err == nil {
		b.seqMu.Lock()
		b.lastSeq = max(b.lastSeq, seq)
		b.seqMu.Unlock()
	}
}

func (b *Bus) purge() {
	b.purges.Add(1)
	if h := b.handlers.Load(); h.Purge != nil {
		h.Purge()
	}
}

// Message types.
const (
	msgInvalidate  = "inv"
	msgCancel      = "cancel"
	msgCancelReply = "cancel_reply"
	msgInterest    = "interest"
	msgHello       = "hello"
	msgLogs        = "logs"
)

// envelope is every notification's JSON.
type envelope struct {
	T    string        `json:"t"`
	From string        `json:"from"`
	Seq  int64         `json:"seq,omitempty"`
	Inv  *Invalidation `json:"inv,omitempty"`
	// Cancel and its replies.
	Token  string `json:"token,omitempty"`
	To     string `json:"to,omitempty"`
	Tenant string `json:"tenant,omitempty"`
	RID    string `json:"rid,omitempty"`
	State  string `json:"state,omitempty"`
	WaitMS int64  `json:"wait_ms,omitempty"`
	// Interest: functions followed, for TTLMS milliseconds (0: no more).
	Functions []string `json:"functions,omitempty"`
	TTLMS     int64    `json:"ttl_ms,omitempty"`
	// Logs: lines of one function.
	Function string           `json:"fn,omitempty"`
	Lines    []logstream.Line `json:"lines,omitempty"`
}

func (b *Bus) dispatch(n *pgconn.Notification) {
	var e envelope
	if err := json.Unmarshal([]byte(n.Payload), &e); err != nil {
		b.log.Warn("cluster: unreadable notification", slog.String("channel", n.Channel), slog.Any("error", err))
		return
	}
	h := b.handlers.Load()
	switch e.T {
	case msgInvalidate:
		if e.Inv != nil && h.Invalidate != nil {
			h.Invalidate(*e.Inv)
			b.applied.Add(1)
		}
		b.seen(e.Seq)
	case msgCancel:
		if e.From != b.node {
			b.answerCancel(h, e)
		}
	case msgCancelReply:
		if e.To == b.node {
			b.cancels.reply(e.Token, e.State)
		}
	case msgInterest:
		if e.From != b.node {
			b.interest.note(e.From, e.Functions, time.Duration(e.TTLMS)*time.Millisecond)
		}
	case msgHello:
		if e.From != b.node {
			b.announceNow()
		}
	case msgLogs:
		if e.From != b.node && h.Log != nil {
			for _, l := range e.Lines {
				h.Log(e.Function, l)
			}
		}
	}
}

// seen accounts for invalidation seq: one that skips a number means a
// notification was missed, and every cache goes.
func (b *Bus) seen(seq int64) {
	if seq == 0 {
		return
	}
	b.seqMu.Lock()
	gap := seq > b.lastSeq+1
	b.lastSeq = max(b.lastSeq, seq)
	b.seqMu.Unlock()
	if gap {
		b.log.Warn("cluster: an invalidation was missed; dropping every cache", slog.Int64("seq", seq))
		b.purge()
	}
}

// poll is the safety net: if the stored sequence moved past what came
// over the listener, and the notifications do not follow shortly, a
// message was lost and every cache goes.
func (b *Bus) poll() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(b.ctx, b.cfg.Poll)
		seq, err := b.readSeq(ctx)
		cancel()
		if err != nil {
			if b.ctx.Err() == nil {
				b.log.Warn("cluster: polling the sequence", slog.Any("error", err))
			}
			continue
		}
		if b.behind(seq) {
			// A notification committed with the row may still be on its
			// way: give it a moment.
			select {
			case <-b.ctx.Done():
				return
			case <-time.After(min(b.cfg.Poll/4, 500*time.Millisecond)):
			}
			if b.behind(seq) {
				b.log.Warn("cluster: invalidations were missed; dropping every cache", slog.Int64("seq", seq))
				b.seqMu.Lock()
				b.lastSeq = max(b.lastSeq, seq)
				b.seqMu.Unlock()
				b.purge()
			}
		}
	}
}

func (b *Bus) behind(seq int64) bool {
	b.seqMu.Lock()
	defer b.seqMu.Unlock()
	if seq < b.lastSeq { // the row was reset: start again from it
		b.lastSeq = seq
	}
	return seq > b.lastSeq
}

// send NOTIFYs e on channel ch, from this node.
func (b *Bus) send(ctx context.Context, ch string, e envelope) error {
	e.From = b.node
	payload, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if len(payload) > maxPayload {
		return fmt.Errorf("cluster: a %s message of %d bytes is over the %d a notification takes", e.T, len(payload), maxPayload)
	}
	if _, err := b.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, ch, string(payload)); err != nil {
		b.publishFails.Add(1)
		return fmt.Errorf("cluster: notify: %w", err)
	}
	return nil
}

func randomHex(n int) string {
	buf := make([]byte, n)
	if _, err := rand.Read(buf); err != nil {
		panic("cluster: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return hex.EncodeToString(buf)
}
