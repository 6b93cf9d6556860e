package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/scriptforge/scriptforge/functions/logstream"
)

// Log lines cross the bus only for functions someone follows somewhere:
// a gateway with followers announces the functions on the bus, again
// every Interest, each announcement good for three times that, and
// withdraws one when its last follower leaves. A gateway then sends the
// lines of its runs of those functions, batched per function.

// interest is what the other gateways follow: function → node → until.
type interest struct {
	remote atomic.Int64 // entries in byFn: the fast path's test
	mu     sync.RWMutex
	byFn   map[string]map[string]time.Time
	// local counts this gateway's followers per function.
	localMu sync.Mutex
	local   map[string]int
}

func (in *interest) init() {
	in.byFn = map[string]map[string]time.Time{}
	in.local = map[string]int{}
}

// note records that node follows fns for ttl (0: no more).
func (in *interest) note(node string, fns []string, ttl time.Duration) {
	until := time.Now().Add(ttl)
	in.mu.Lock()
	defer in.mu.Unlock()
	for _, fn := range fns {
		nodes := in.byFn[fn]
		if ttl <= 0 {
			if _, ok := nodes[node]; ok {
				delete(nodes, node)
				in.remote.Add(-1)
				if len(nodes) == 0 {
					delete(in.byFn, fn)
				}
			}
			continue
		}
		if nodes == nil {
			nodes = map[string]time.Time{}
			in.byFn[fn] = nodes
		}
		if _, ok := nodes[node]; !ok {
			in.remote.Add(1)
		}
		nodes[node] = until
	}
}

// prune forgets announcements that were not repeated in time: their
// gateway stopped, or lost its followers without saying so.
func (in *interest) prune(now time.Time) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for fn, nodes := range in.byFn {
		for node, until := range nodes {
			if now.After(until) {
				delete(nodes, node)
				in.remote.Add(-1)
			}
		}
		if len(nodes) == 0 {
			delete(in.byFn, fn)
		}
	}
}

// Followed reports whether another gateway follows functionID's logs: a
// run asks for each line, and sends it over the bus only then. With no
// follower anywhere it is one atomic load.
func (b *Bus) Followed(functionID string) bool {
	if b == nil || b.interest.remote.Load() == 0 {
		return false
	}
	now := time.Now()
	b.interest.mu.RLock()
	defer b.interest.mu.RUnlock()
	for _, until := range b.interest.byFn[functionID] {
		if now.Before(until) {
			return true
		}
	}
	return false
}

// FollowedAny reports whether another gateway follows any function's
// logs (perhaps expired): a caller that needs the answer per function
// asks Followed only then.
func (b *Bus) FollowedAny() bool { return b != nil && b.interest.remote.Load() > 0 }

// Follow tells the cluster that this gateway follows functionID's logs,
// until the returned release is called (once per Follow).
func (b *Bus) Follow(functionID string) (release func()) {
	in := &b.interest
	// The count changes and its announcement go out under one lock, so
	// that a withdrawal never overtakes the announcement that follows it.
	in.localMu.Lock()
	in.local[functionID]++
	if in.local[functionID] == 1 {
		b.sendInterest([]string{functionID}, b.interestTTL())
	}
	in.localMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			in.localMu.Lock()
			defer in.localMu.Unlock()
			if in.local[functionID]--; in.local[functionID] == 0 {
				delete(in.local, functionID)
				b.sendInterest([]string{functionID}, 0)
			}
		})
	}
}

func (b *Bus) interestTTL() time.Duration { return 3 * b.cfg.Interest }

// sendInterest announces fns, in as many messages as their names need.
func (b *Bus) sendInterest(fns []string, ttl time.Duration) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	for len(fns) > 0 {
		n, size := 0, 0
		for n < len(fns) && size+len(fns[n])+3 < maxPayload-200 {
			size += len(fns[n]) + 3
			n++
		}
		n = max(n, 1)
		e := envelope{T: msgInterest, Functions: fns[:n], TTLMS: ttl.Milliseconds()}
		if ttl <= 0 {
			e.TTLMS = 0
		}
		if err := b.send(ctx, b.chBus, e); err != nil && b.ctx.Err() == nil {
			b.log.Warn("cluster: announcing followed functions", slog.Any("error", err))
		}
		fns = fns[n:]
	}
}

// announceNow repeats every function followed here.
func (b *Bus) announceNow() {
	b.interest.localMu.Lock()
	fns := make([]string, 0, len(b.interest.local))
	for fn := range b.interest.local {
		fns = append(fns, fn)
	}
	b.interest.localMu.Unlock()
	if len(fns) > 0 {
		b.sendInterest(fns, b.interestTTL())
	}
}

// announce repeats this gateway's interest and forgets stale ones.
func (b *Bus) announce() {
	defer b.wg.Done()
	t := time.NewTicker(b.cfg.Interest)
	defer t.Stop()
	for {
		select {
		case <-b.ctx.Done():
			return
		case now := <-t.C:
			b.interest.prune(now)
			b.announceNow()
		}
	}
}

type logItem struct {
	fn   string
	line logstream.Line
}

// PublishLog sends a line of a run served here to the gateways that
// follow its function. It never waits: when the queue is full the line
// is dropped and counted.
func (b *Bus) PublishLog(functionID string, l logstream.Line) {
	select {
	case b.logQueue <- logItem{functionID, l}:
	default:
		b.logsDropped.Add(1)
	}
}

// sendLogs batches queued lines by function into notifications.
func (b *Bus) sendLogs() {
	defer b.wg.Done()
	for {
		var first logItem
		select {
		case <-b.ctx.Done():
			return
		case first = <-b.logQueue:
		}
		batch := map[string][]logstream.Line{first.fn: {first.line}}
		order := []string{first.fn}
	drain:
		for range 255 {
			select {
			case it := <-b.logQueue:
				if _, ok := batch[it.fn]; !ok {
					order = append(order, it.fn)
				}
				batch[it.fn] = append(batch[it.fn], it.line)
			default:
				break drain
			}
		}
		for _, fn := range order {
			for _, payload := range packLines(b.node, fn, batch[fn]) {
				ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
				_, err := b.pool.Exec(ctx, `SELECT pg_notify($1, $2)`, b.chLogs, payload)
				cancel()
				if err != nil {
					b.publishFails.Add(1)
					if b.ctx.Err() == nil {
						b.log.Warn("cluster: sending log lines", slog.Any("error", err))
					}
				}
			}
		}
	}
}

// truncatedMark ends a message cut to fit a notification.
const truncatedMark = " …[truncated]"

// packLines encodes fn's lines as log messages of at most maxPayload
// bytes each, in order; a line too long for one alone is cut, with a
// mark.
func packLines(node, fn string, lines []logstream.Line) []string {
	var out []string
	var cur []json.RawMessage
	size := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		out = append(out, encodeLogs(node, fn, cur))
		cur, size = nil, 0
	}
	overhead := len(encodeLogs(node, fn, nil))
	for _, l := range lines {
		enc := encodeLine(l, maxPayload-overhead)
		if size+len(enc)+1 > maxPayload-overhead {
			flush()
		}
		cur = append(cur, enc)
		size += len(enc) + 1
	}
	flush()
	return out
}

// encodeLogs writes a logs envelope by hand: the lines are encoded
// already, and measured.
func encodeLogs(node, fn string, lines []json.RawMessage) string {
	var buf bytes.Buffer
	buf.WriteString(`{"t":"logs","from":`)
	writeJSON(&buf, node)
	buf.WriteString(`,"fn":`)
	writeJSON(&buf, fn)
	buf.WriteString(`,"lines":[`)
	for i, l := range lines {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(l)
	}
	buf.WriteString(`]}`)
	return buf.String()
}

// encodeLine is l's JSON, its message cut (with a mark) so that it is at
// most limit bytes.
func encodeLine(l logstream.Line, limit int) json.RawMessage {
	enc := marshal(l)
	for len(enc) > limit && l.Message != "" {
		over := len(enc) - limit
		keep := max(0, len(l.Message)-over-len(truncatedMark))
		if keep >= len(l.Message) { // the mark itself does not fit: drop the text
			keep = 0
		}
		for keep > 0 && !utf8.RuneStart(l.Message[keep]) {
			keep--
		}
		l.Message = l.Message[:keep] + truncatedMark
		enc = marshal(l)
		if keep == 0 {
			break
		}
	}
	return enc
}

func marshal(v any) []byte {
	var buf bytes.Buffer
	writeJSON(&buf, v)
	return buf.Bytes()
}

// writeJSON encodes v without HTML escaping, which would make '<' six
// bytes of a notification's budget.
func writeJSON(buf *bytes.Buffer, v any) {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings and Lines: cannot fail
	if n := buf.Len(); n > 0 && buf.Bytes()[n-1] == '\n' {
		buf.Truncate(n - 1)
	}
}
