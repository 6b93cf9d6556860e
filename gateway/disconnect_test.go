package gateway

import (
	"io"
	"net"
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
		stop := watchConn(server, func() { gone <- time.Now() })
		defer stop()
		time.Sleep(20 * time.Millisecond) // parked in the netpoller
		closed := time.Now()
		client.Close()
		waitGone(t, gone, closed)
	})
	t.Run("stop before close", func(t *testing.T) {
		server, client := tcpPair(t)
		called := false
		stop := watchConn(server, func() { called = true })
		time.Sleep(10 * time.Millisecond)
		stop()
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
		stop := watchConn(server, func() { gone <- time.Now() })
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
		stop()
		// The watch only peeked: the bytes are all still there.
		b, err := io.ReadAll(server)
		if err != nil || string(b) != "GET /next HTTP/1.1\r\n" {
			t.Fatalf("after the watch: %q, %v", b, err)
		}
	})
	t.Run("not a socket", func(t *testing.T) {
		a, b := net.Pipe()
		defer a.Close()
		defer b.Close()
		stop := watchConn(a, func() { t.Error("gone called") })
		stop()
	})
}

// BenchmarkWatchConn is what watching costs a request whose client
// stays: start the watch, park in the netpoller, stop it.
func BenchmarkWatchConn(b *testing.B) {
	server, _ := tcpPair(b)
	b.ReportAllocs()
	for b.Loop() {
		stop := watchConn(server, func() {})
		stop()
	}
}
