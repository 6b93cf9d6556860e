package gateway

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/internal/reuse"
)

// Server-sent events: a call with Accept: text/event-stream gets its run
// as a stream (header, log…, then message or error) instead of one
// answer, and GET /v1/functions/{id}/logs?follow=1 a function's lines
// (logs.go). Checks that fail before the run (auth, limits, bad input)
// are answered as ever, with a JSON error: only a run is streamed.
//
// fasthttp writes a response once its handler has returned, so a
// streamed call's handler checks what it must, sets the headers and
// hands the run to the body writer (streamRun), which runs it, writes
// its lines as they come, and releases what the call held when it ends.

// wantsEventStream: the caller asks for the run as server-sent events.
func wantsEventStream(c *fiber.Ctx) bool {
	accept := c.Get(fiber.HeaderAccept)
	if !strings.Contains(accept, "text/event-stream") {
		return false
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(mt), "text/event-stream") {
			return true
		}
	}
	return false
}

// setEventStreamHeaders sends what keeps a stream a stream behind
// proxies: no caching, no buffering (nginx's X-Accel-Buffering).
func setEventStreamHeaders(c *fiber.Ctx) {
	h := &c.Response().Header
	h.SetContentType("text/event-stream; charset=utf-8")
	h.SetCanonical(headerCacheControl, noCache) // keys already canonical: no normalising
	h.SetCanonical(headerAccelBuffering, no)
	c.Status(http.StatusOK)
}

var (
	headerCacheControl   = []byte(fiber.HeaderCacheControl)
	headerAccelBuffering = []byte("X-Accel-Buffering")
	noCache, no          = []byte("no-cache"), []byte("no")
)

// sseWriter writes events to a response body: to w as they come (a
// stream), or into body (an answer sent whole; w is nil). The first
// failed write sticks: the client is gone, and later writes do nothing.
type sseWriter struct {
	w    *bufio.Writer
	body []byte
	conn interface{ SetWriteDeadline(time.Time) error }
	// stall bounds one flush: a client that takes no bytes for this long
	// is cut off (the connection's write deadline is pushed on per flush).
	stall time.Duration
	err   error
	buf   []byte // an event's JSON, reused (streams)
}

func (s *sseWriter) event(name string, data any) {
	if s.err != nil {
		return
	}
	var b []byte
	if s.w == nil { // straight into the answer
		b = append(s.body, "event: "...)
		b = append(b, name...)
		b = append(b, "\ndata: "...)
	} else {
		b = s.buf[:0]
	}
	var err error
	switch d := data.(type) { // the common events by hand (sse_json.go)
	case *streamLine:
		b = d.appendJSON(b)
	case runHeader:
		b = d.appendJSON(b)
	case runMessage:
		b, err = d.appendJSON(b)
	default:
		b, err = appendJSON(b, data)
	}
	if err != nil {
		s.err = err
		return
	}
	if s.w == nil {
		s.body = append(b, "\n\n"...) // JSON has no raw newline: one data line
		return
	}
	s.buf = b
	s.w.WriteString("event: ")
	s.w.WriteString(name)
	s.w.WriteString("\ndata: ")
	s.w.Write(b)
	s.w.WriteString("\n\n")
}

func (s *sseWriter) comment(text string) {
	if s.err == nil && s.w != nil {
		s.w.WriteString(": " + text + "\n\n")
	}
}

func (s *sseWriter) flush() error {
	if s.err != nil || s.w == nil {
		return s.err
	}
	if s.conn != nil && s.stall > 0 {
		_ = s.conn.SetWriteDeadline(time.Now().Add(s.stall))
	}
	s.err = s.w.Flush()
	return s.err
}

// sseStall bounds how long one flush of a stream may wait for the client.
const sseStall = 30 * time.Second

// streamLine is a console line of a streamed run; Step and FunctionID
// say which step of a routing chain printed it (0 and "" otherwise).
type streamLine struct {
	Step       int    `json:"step,omitempty"`
	FunctionID string `json:"function_id,omitempty"`
	functions.LogLine
}

// runStream carries a streamed run's lines from the run to the body
// writer without ever making the run wait: past max lines waiting, a
// line is dropped and counted; the stream then says how many were
// dropped. A slice under a lock, not a buffered channel: a channel of
// max lines would be allocated and cleared for every call, lines or not.
type runStream struct {
	mu      sync.Mutex
	lines   []streamLine // waiting to be written, oldest first
	spare   []streamLine // the slice last taken, reused
	max     int
	dropped uint64
	wake    chan struct{} // a line is waiting (buffered: one wake-up)
}

func newRunStream(max int) *runStream {
	return &runStream{max: max, wake: make(chan struct{}, 1)}
}

// add is an Invocation.OnLog: it never blocks. Lines that come after the
// stream ended (a routing step left running at its deadline) are kept
// until max, then dropped: nobody takes them.
func (s *runStream) add(l streamLine) {
	s.mu.Lock()
	if len(s.lines) < s.max {
		s.lines = append(s.lines, l)
	} else {
		s.dropped++
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default: // already woken
	}
}

// take returns the waiting lines and how many were dropped since the
// last take (all later than those lines). The lines are valid until the
// next take.
func (s *runStream) take() ([]streamLine, uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines, dropped := s.lines, s.dropped
	s.lines, s.spare, s.dropped = s.spare[:0], lines, 0
	return lines, dropped
}

// onLog is add for the lines of one step.
func (s *runStream) onLog(step int, functionID string) func(functions.LogLine) {
	return func(l functions.LogLine) { s.add(streamLine{Step: step, FunctionID: functionID, LogLine: l}) }
}

// sseFinal is a stream's last event: "message" or "error".
type sseFinal struct {
	name string
	data any
}

// runHeader is the header event of a streamed run.
type runHeader struct {
	RequestID  string          `json:"request_id"`
	FunctionID string          `json:"function_id"`
	Version    int             `json:"version"`
	StartedAt  time.Time       `json:"started_at"`
	Steps      []runHeaderStep `json:"steps,omitempty"` // a routing chain's, in order
}

type runHeaderStep struct {
	FunctionID string `json:"function_id"`
	Name       string `json:"name"`
	Version    int    `json:"version"`
}

// runMessage is the result event. Result is a JSON answer as it is;
// Body a Response's body or a voice answer (BodyBase64 when the body is
// not text).
type runMessage struct {
	Status      int               `json:"status"`
	DurationMS  float64           `json:"duration_ms"`
	CPUMS       float64           `json:"cpu_ms,omitempty"` // the run's CPU time, as its record has it
	Result      json.RawMessage   `json:"result,omitempty"`
	ContentType string            `json:"content_type,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Body        *string           `json:"body,omitempty"`
	BodyBase64  []byte            `json:"body_base64,omitempty"`
}

// runErrorEvent is the error event: the error body's fields, with the
// status the call would have answered and how long it ran.
type runErrorEvent struct {
	Status     int     `json:"status"`
	DurationMS float64 `json:"duration_ms"`
	CPUMS      float64 `json:"cpu_ms,omitempty"`
	errorFields
}

func sinceMS(started time.Time) float64 {
	return float64(time.Since(started).Microseconds()) / 1000
}

// errorEvent turns what a run failed with into the stream's error event.
func errorEvent(rid string, started time.Time, err error) sseFinal {
	ae := toAPIError(err)
	return sseFinal{"error", runErrorEvent{Status: ae.Status, DurationMS: sinceMS(started),
		errorFields: errorFields{Code: ae.Code, Message: ae.Message, RequestID: rid, SIPCode: ae.SIPCode, Details: ae.Details}}}
}

// bodyMessage is the message event of an answer with a body.
func bodyMessage(status int, started time.Time, contentType string, headers map[string]string, body []byte) sseFinal {
	m := runMessage{Status: status, DurationMS: sinceMS(started), ContentType: contentType, Headers: headers}
	if utf8.Valid(body) {
		s := string(body)
		m.Body = &s
	} else {
		m.BodyBase64 = body
	}
	return sseFinal{"message", m}
}

// resultEvent is the final event of an invocation's run.
func resultEvent(rid string, started time.Time, res *functions.Result, err error) sseFinal {
	if err != nil {
		return errorEvent(rid, started, err)
	}
	if r := res.Response; r != nil {
		headers := make(map[string]string, len(r.Headers))
		for k, v := range r.Headers {
			if !reservedHeader(k) {
				headers[k] = v
			}
		}
		return bodyMessage(r.Status, started, r.Headers["content-type"], headers, r.Body)
	}
	return sseFinal{"message", runMessage{Status: http.StatusOK, DurationMS: sinceMS(started), Result: res.JSON}}
}

// sseBodies are buffers for answers sent whole (see streamRun).
var sseBodies = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// withCPU gives a run's final event the CPU time the run took.
func (f sseFinal) withCPU(cpu time.Duration) sseFinal {
	ms := float64(cpu.Microseconds()) / 1000
	switch d := f.data.(type) {
	case runMessage:
		d.CPUMS = ms
		f.data = d
	case runErrorEvent:
		d.CPUMS = ms
		f.data = d
	}
	return f
}

// streamRun answers the call as an event stream: header first, then
// each line as run prints it, keep-alive comments while it is quiet, and
// its final event. run gets ctx, the context of the call's flight f,
// which is cancelled if the client goes away; done is called once run
// has returned (it releases what the call holds: its concurrency slot, a
// voice call's lock).
//
// A run that ends within Config.SSECoalesce is answered with the whole
// stream as one body, in one write: a stream written event by event
// costs a write (and a wake-up of the client) per event, several times a
// trivial run's own cost (bench/sse.sh). A longer run gets its header
// when the window closes, and its lines as they come.
func (g *Gateway) streamRun(c *fiber.Ctx, ctx context.Context, head runHeader, f *flight, done func(), run func(ctx context.Context, s *runStream) sseFinal) error {
	s := newRunStream(g.cfg.SSEBuffer)
	finished := make(chan sseFinal, 1)
	g.metrics.sseClients.Inc()
	g.streamRunners.Start(func() {
		defer done()
		finished <- run(ctx, s)
	})
	setEventStreamHeaders(c)
	if w := g.cfg.SSECoalesce; w > 0 {
		t := reuse.StartTimer(w)
		select {
		case final := <-finished:
			reuse.StopTimer(t)
			g.metrics.sseStreams.WithLabelValues("whole").Inc()
			defer g.metrics.sseClients.Dec()
			body := sseBodies.Get().(*[]byte)
			defer func() {
				if cap(*body) <= 64<<10 { // a huge answer's buffer is not kept
					sseBodies.Put(body)
				}
			}()
			out := sseWriter{body: (*body)[:0]}
			out.event("header", head)
			writeRest(&out, s, final)
			*body = out.body
			if out.err != nil {
				return out.err
			}
			return c.Send(out.body) // copied into the response
		case <-t.C:
			reuse.StopTimer(t)
		}
	}
	g.metrics.sseStreams.WithLabelValues("events").Inc()
	c.Context().SetBodyStream(newEventStream(g, c.Context().Conn(), head, s, finished, f.cancel), -1)
	return nil
}

// eventStream is a streamed run's body as fasthttp reads it: each Read
// waits for what the run says next (lines, a keep-alive, the end) and
// returns it as events, which fasthttp sends as one chunk and flushes.
// A body reader, not SetBodyStreamWriter: that one runs each stream on a
// goroutine of its own behind an in-memory pipe, which cost more than
// the events themselves (bench/sse.sh). Read and Close are both called
// by the connection's goroutine.
type eventStream struct {
	g         *Gateway
	conn      interface{ SetWriteDeadline(time.Time) error }
	out       sseWriter // body mode: events are appended to out.body
	off       int       // of out.body already returned
	s         *runStream
	finished  chan sseFinal
	stop      func(error)  // the run's flight's cancel
	keepAlive *time.Ticker // made at the first wait
	ended     bool         // the final event is in out.body
	closed    bool
}

func newEventStream(g *Gateway, conn interface{ SetWriteDeadline(time.Time) error }, head runHeader, s *runStream, finished chan sseFinal, stop func(error)) *eventStream {
	e := &eventStream{g: g, conn: conn, s: s, finished: finished, stop: stop}
	e.out.body = make([]byte, 0, 512)
	e.out.event("header", head) // the first Read sends it at once
	return e
}

func (e *eventStream) Read(p []byte) (int, error) {
	for e.off >= len(e.out.body) {
		if e.ended || e.out.err != nil {
			return 0, io.EOF
		}
		e.out.body, e.off = e.out.body[:0], 0
		e.next()
	}
	n := copy(p, e.out.body[e.off:])
	e.off += n
	if e.conn != nil {
		// fasthttp flushes this chunk as soon as Read returns: a client
		// that takes none of it for sseStall is cut off.
		_ = e.conn.SetWriteDeadline(time.Now().Add(sseStall))
	}
	return n, nil
}

// next waits for the run's next lines, a keep-alive or its end, and
// appends the events to out.body.
func (e *eventStream) next() {
	if e.keepAlive == nil {
		e.keepAlive = time.NewTicker(e.g.cfg.SSEKeepAlive)
	}
	select {
	case <-e.s.wake:
		writeLines(&e.out, e.s)
		select {
		case final := <-e.finished: // the end is here too: one chunk for both
			e.end(final)
		default:
		}
	case <-e.keepAlive.C:
		writeLines(&e.out, e.s) // only a drop count can be waiting
		e.out.body = append(e.out.body, ": keep-alive\n\n"...)
	case final := <-e.finished:
		e.end(final)
	}
}

func (e *eventStream) end(final sseFinal) {
	writeRest(&e.out, e.s, final)
	e.ended = true
}

// Close is called by fasthttp once the body is sent, or could not be (the
// client went away): the run is stopped if it still goes.
func (e *eventStream) Close() error {
	if e.closed {
		return nil
	}
	e.closed = true
	if e.keepAlive != nil {
		e.keepAlive.Stop()
	}
	if !e.ended {
		e.stop(errClientGone) // recorded as cancelled, as a disconnect is
	}
	e.g.metrics.sseClients.Dec()
	return nil
}

// writeLines writes the waiting lines, then how many were dropped after
// them, if any.
func writeLines(out *sseWriter, s *runStream) {
	lines, dropped := s.take()
	for i := range lines {
		out.event("log", &lines[i])
	}
	if dropped > 0 {
		out.event("dropped", fiber.Map{"count": dropped})
	}
}

// writeRest writes the lines still waiting and the final event: every
// line of the run was added before it returned.
func writeRest(out *sseWriter, s *runStream, final sseFinal) {
	writeLines(out, s)
	out.event(final.name, final.data)
}
