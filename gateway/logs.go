package gateway

import (
	"bufio"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/cluster"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/logstream"
)

// A function's console lines, across its runs: GET
// /v1/functions/{id}/logs answers the recent ones from the run records;
// with ?follow=1 it is an event stream of them, the stored ones first
// (?since=) and then each line as a run prints it (the hub, g.logs).

// logTap takes a run's console lines where they are wanted while it
// runs: its event stream, if it is streamed, and its function's log
// followers, here and on other gateways, if it has any when it starts.
// Lines go to other gateways while one of them follows: one that starts
// following during the run gets the lines printed after that, as a
// follower here does. A value, so that a run nobody watches allocates
// nothing for it.
type logTap struct {
	hub     *logstream.Hub
	bus     *cluster.Bus // nil: a single gateway
	fn, rid string
	live    bool // followers get the lines as they are printed
}

// tapLogs sets inv.OnLog if anyone wants the run's lines as they come:
// s (nil: the call is not streamed), for step (0 outside a routing
// chain), and the function's followers. rid is the request id the lines
// are tagged with for followers (its run record's).
func (g *Gateway) tapLogs(inv *functions.Invocation, rid string, s *runStream, step int) logTap {
	t := logTap{hub: g.logs, bus: g.cfg.Bus, fn: inv.Function.ID, rid: rid}
	t.live = g.cfg.Bus.Followed(inv.Function.ID) || g.logs.Following(inv.Function.ID)
	var stream func(functions.LogLine)
	if s != nil {
		stepFn := ""
		if step > 0 {
			stepFn = inv.Function.ID
		}
		stream = s.onLog(step, stepFn)
	}
	switch {
	case t.live && stream != nil:
		inv.OnLog = func(l functions.LogLine) { stream(l); t.publishLine(logstream.LineOf(rid, l)) }
	case t.live:
		inv.OnLog = func(l functions.LogLine) { t.publishLine(logstream.LineOf(rid, l)) }
	case stream != nil:
		inv.OnLog = stream
	}
	return t
}

// finish hands the run's lines to followers that came while it ran (a
// run followed from its start sent them as they were printed).
func (t logTap) finish(res *functions.Result, err error) {
	if t.live {
		return
	}
	if !t.bus.Followed(t.fn) && !t.hub.Following(t.fn) {
		return
	}
	for _, l := range runLogs(res, err) {
		t.publishLine(logstream.LineOf(t.rid, l))
	}
}

// runLogs is what a run printed, whether it succeeded or failed.
func runLogs(res *functions.Result, err error) []functions.LogLine {
	var re *functions.RunError
	if errors.As(err, &re) && len(re.Logs) > 0 {
		return re.Logs
	}
	if res != nil {
		return res.Logs
	}
	return nil
}

// logsQuery is what GET /v1/functions/{id}/logs asks for.
type logsQuery struct {
	since    time.Time // zero: no bound (and, when following, no stored lines)
	minLevel int
	limit    int
	follow   bool
}

func parseLogsQuery(c *fiber.Ctx, now time.Time) (logsQuery, error) {
	var q logsQuery
	var err error
	if q.since, err = pointInTime(c.Query("since"), now); err != nil {
		return q, badParam("since", err)
	}
	if q.minLevel, err = functions.ParseLevel(c.Query("level")); err != nil {
		return q, badParam("level", err)
	}
	q.limit = 100
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxLogLines {
			return q, badParam("limit", errors.New("must be a number from 1 to 1000"))
		}
		q.limit = n
	}
	switch f := c.Query("follow"); f {
	case "", "0", "false":
	case "1", "true":
		q.follow = true
	default:
		return q, badParam("follow", errors.New("must be 1 or 0"))
	}
	return q, nil
}

// maxLogLines bounds the stored lines one request reads.
const maxLogLines = 1000

// functionLogs is GET /v1/functions/{id}/logs.
func (g *Gateway) functionLogs(c *fiber.Ctx) error {
	// The id outlives the handler (the stream): fiber lends its strings.
	ctx, tenant, id := c.UserContext(), tenantOf(c), strings.Clone(c.Params("id"))
	q, err := parseLogsQuery(c, time.Now())
	if err != nil {
		return err
	}
	if _, err := g.cfg.Store.Get(ctx, tenant, id); err != nil {
		return err // another tenant's function is not found either
	}
	if !q.follow {
		lines, err := g.storedLines(ctx, tenant, id, q)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"lines": lines})
	}
	// Follow before reading the records: a line printed in between is
	// then both stored and sent live, and the replay's marks drop it.
	f := g.logs.Follow(id, q.minLevel, g.cfg.FollowBuffer)
	unfollow := g.followCluster(id) // other gateways' runs too
	var replay []logstream.Line
	if !q.since.IsZero() {
		if replay, err = g.storedLines(ctx, tenant, id, q); err != nil {
			unfollow()
			f.Close()
			return err
		}
	}
	head := fiber.Map{"function_id": id, "level": functions.LogLevels[q.minLevel]}
	if !q.since.IsZero() {
		head["since"] = q.since.UTC()
	}
	setEventStreamHeaders(c)
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		g.metrics.sseClients.Inc()
		defer g.metrics.sseClients.Dec()
		defer f.Close()
		defer unfollow()
		out := &sseWriter{w: w, conn: conn, stall: sseStall}
		out.event("header", head)
		replayed := map[string]time.Time{} // request id → its last stored line sent
		for _, l := range replay {
			out.event("log", l)
			replayed[l.RequestID] = l.Time
		}
		if out.flush() != nil {
			return
		}
		keepAlive := time.NewTicker(g.cfg.SSEKeepAlive)
		defer keepAlive.Stop()
		reportDropped := func() {
			if n := f.TakeDropped(); n > 0 {
				out.event("dropped", fiber.Map{"count": n})
			}
		}
		for {
			select {
			case l := <-f.Lines():
				if last, ok := replayed[l.RequestID]; ok && !l.Time.After(last) {
					continue // sent from its record already
				}
				out.event("log", l)
				if len(f.Lines()) > 0 {
					continue // flush once the burst is written
				}
				reportDropped()
			case <-keepAlive.C:
				reportDropped()
				out.comment("keep-alive")
			case <-g.closing:
				return
			}
			if out.flush() != nil {
				return // the follower went away
			}
		}
	})
	return nil
}

// storedLines reads the function's lines of q (time, level) from its
// run records, oldest first, the newest q.limit of them. Records are
// read newest first, a page of them: a run that started up to the
// longest run time before since may have printed after it.
func (g *Gateway) storedLines(ctx context.Context, tenant, id string, q logsQuery) ([]logstream.Line, error) {
	rq := functions.RunQuery{FunctionID: id, Limit: functions.MaxRunsLimit}
	if !q.since.IsZero() {
		rq.Since = q.since.Add(-time.Duration(g.cfg.Limits.MaxTimeoutMS) * time.Millisecond)
	}
	page, err := g.cfg.Store.Runs(ctx, tenant, rq)
	if err != nil {
		return nil, err
	}
	lines := []logstream.Line{}
	for _, r := range page.Runs {
		for _, l := range r.Logs {
			if l.Time.Before(q.since) || functions.LevelRank(l.Level) < q.minLevel {
				continue
			}
			lines = append(lines, logstream.LineOf(r.RequestID, l))
		}
	}
	slices.SortStableFunc(lines, func(a, b logstream.Line) int { return a.Time.Compare(b.Time) })
	if len(lines) > q.limit {
		lines = lines[len(lines)-q.limit:]
	}
	return lines, nil
}
