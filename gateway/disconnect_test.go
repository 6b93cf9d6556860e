package gateway

import (
	"io"
	"net"
	"runtime"
	"testing"
	"time"
)

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t testing.TB) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func waitGone(t *testing.T, gone <-chan time.Time, since time.Time) {
	t.Helper()
	select {
	case at := <-gone:
		if d := at.Sub(since); d > 100*time.Millisecond {
			t.Fatalf("gone %v after the client closed", d)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the client's close was not seen")
	}
}

func TestWatchConn(t *testing.T) {
	t.Run("close", func(t *testing.T) {
		server, client := tcpPair(t)
		gone := make(chan time.Time, 1)
		var w connWatch
		w.begin(server, 0, func(error) { gone <- time.Now() })
		defer w.stop()
		time.Sleep(20 * time.Millisecond) // parked in the netpoller
		closed := time.Now()
		client.Close()
		waitGone(t, gone, closed)
	})
	t.Run("stop before close", func(t *testing.T) {
		server, client := tcpPair(t)
		called := false
		var w connWatch
		w.begin(server, 0, func(error) { called = true })
		time.Sleep(10 * time.Millisecond)
		w.stop()
		client.Close()
		time.Sleep(20 * time.Millisecond)
		if called {
			t.Fatal("gone was called after stop")
		}
		// The deadline stop used is gone: the connection reads on.
		if _, err := server.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("read after stop: %v, want EOF", err)
		}
	})
	t.Run("pipelined then close", func(t *testing.T) {
		server, client := tcpPair(t)
		gone := make(chan time.Time, 1)
		var w connWatch
		w.begin(server, 0, func(error) { gone <- time.Now() })
		if _, err := client.Write([]byte("GET /next HTTP/1.1\r\n")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(30 * time.Millisecond) // seen as a pipelined request: polling now
		select {
		case <-gone:
			t.Fatal("a pipelined request was taken for a close")
		default:
		}
		closed := time.Now()
		client.Close()
		waitGone(t, gone, closed)
		w.stop()
		// The watch only peeked: the bytes are all still there.
		b, err := io.ReadAll(server)
		if err != nil || string(b) != "GET /next HTTP/1.1\r\n" {
			t.Fatalf("after the watch: %q, %v", b, err)
		}
	})
	t.Run("closed before the watch begins", func(t *testing.T) {
		server, client := tcpPair(t)
		gone := make(chan time.Time, 1)
		var w connWatch
		w.begin(server, watchDelay, func(error) { gone <- time.Now() })
		defer w.stop()
		closed := time.Now()
		client.Close()
		waitGone(t, gone, closed) // seen when the watch begins, watchDelay in
	})
	t.Run("stopped before the watch begins", func(t *testing.T) {
		server, client := tcpPair(t)
		var w connWatch
		w.begin(server, 5*time.Millisecond, func(error) { t.Error("gone called after stop") })
		w.stop()
		client.Close()
		time.Sleep(30 * time.Millisecond)
	})
	t.Run("not a socket", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		var w connWatch
		w.begin(a, 0, func(error) { t.Error("gone called") })
		if w.timer != nil {
			t.Fatal("a pipe is watched")
		}
		w.stop()
	})
}

// BenchmarkWatchConn is what watching costs a run whose client stays:
// short, a run over before the watch begins (its timer only); long, one
// that lasts until the watch is parked in the netpoller, woken by stop.
func BenchmarkWatchConn(b *testing.B) {
	server, _ := tcpPair(b)
	b.Run("short", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w connWatch
			w.begin(server, watchDelay, func(error) {})
			w.stop()
		}
	})
	b.Run("long", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var w connWatch
			w.begin(server, 0, func(error) {})
			for !w.begun() {
				runtime.Gosched()
			}
			w.stop()
		}
	})
}

func (w *connWatch) begun() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.started
}
