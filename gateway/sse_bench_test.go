package gateway

import (
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// What streaming a run adds to the gateway's own cost: the handler on a
// prepared request (as BenchmarkHandler/public, constant executor), with
// and without Accept: text/event-stream. The run ends at once, so the
// stream is answered as one body (Config.SSECoalesce).
//
//	go test -run '^$' -bench BenchmarkHandlerStream -benchmem ./gateway/
func BenchmarkHandlerStream(b *testing.B) {
	plainAndStreamed(b, func(b *testing.B, accept string) {
		// A window no run here outlasts: the prepared request has no
		// connection to stream to (and GC pauses pass 2 ms now and then).
		bg := benchGateway(b, false, slog.LevelInfo, func(c *Config) { c.SSECoalesce = time.Second })
		h := bg.gw.app.Handler()
		b.ReportAllocs()
		b.ResetTimer()
		cpu0 := processCPU()
		b.RunParallel(func(pb *testing.PB) {
			var req fasthttp.Request
			fillRequest(&req, bg.path, "")
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			var ctx fasthttp.RequestCtx
			ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}, nil)
			for pb.Next() {
				h(&ctx)
				if ctx.Response.StatusCode() != fasthttp.StatusOK || ctx.Response.IsBodyStream() {
					b.Errorf("status %d, streamed %v: %s", ctx.Response.StatusCode(), ctx.Response.IsBodyStream(), ctx.Response.Body())
					return
				}
				ctx.Response.Reset()
				ctx.ResetUserValues()
			}
		})
		b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N), "cpu-ns/op")
	})
}

// plainAndStreamed runs f as two sub-benchmarks: "plain" (no Accept
// header) and "sse" (Accept: text/event-stream).
func plainAndStreamed(b *testing.B, f func(b *testing.B, accept string)) {
	for _, accept := range []string{"", "text/event-stream"} {
		name := "plain"
		if accept != "" {
			name = "sse"
		}
		b.Run(name, func(b *testing.B) { f(b, accept) })
	}
}

// BenchmarkStreamedOverConn is a streamed call whose run outlasts the
// coalescing window (here: every run), so its events go out as chunks
// on a kept-alive connection (in memory), against a plain call.
//
//	go test -run '^$' -bench BenchmarkStreamedOverConn -benchmem ./gateway/
func BenchmarkStreamedOverConn(b *testing.B) {
	plainAndStreamed(b, func(b *testing.B, accept string) {
		bg := benchGateway(b, false, slog.LevelInfo, func(c *Config) { c.SSECoalesce = time.Nanosecond })
		hammer(b, bg.listen(b), bg.path, "", accept)
	})
}
