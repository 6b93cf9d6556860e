package gateway

import (
	"errors"
	"net"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// fasthttp tells a handler nothing when its client goes away: it reads
// the next request only after the answer. A connWatch waits, while a run
// is in progress, for the client's connection to become readable and
// peeks at it without taking anything (MSG_PEEK), so fasthttp still reads
// whatever is there afterwards:
//   - nothing to read (EOF) or a reset: the client closed it (a
//     half-close, shutdown(SHUT_WR), counts too, as it does for nginx's
//     499 and for net/http's request context);
//   - bytes: a pipelined request. Readiness says no more, so the watch
//     falls back to asking the kernel for the TCP state every
//     pipelinedPoll, where CLOSE_WAIT means the client sent its FIN.
//
// Waiting costs no thread and no timer: the goroutine is parked in the
// netpoller on the descriptor fasthttp already registered. Stop wakes it
// with a read deadline in the past; fasthttp sets its own read deadline
// again before it reads the next request.
//
// Most runs take a millisecond or less, and they pay for a timer only:
// the watch begins watchDelay into the run. A client gone by then is
// seen at once (its FIN is waiting), so a cancel still comes within
// watchDelay plus a wake-up, inside the 100 ms it may take.
//
// The zero connWatch watches nothing, and its stop does nothing: it is a
// field of a run's flight, begun when the run's connection is a socket.
type connWatch struct {
	conn  net.Conn
	gone  func(error) // called at most once, with errClientGone, from the watch's goroutine
	timer *time.Timer // nil: not watching

	mu      sync.Mutex
	stopped bool          // stop was called
	started bool          // the watch began; quit and done are set
	quit    chan struct{} // closed by stop
	done    chan struct{} // closed when the watch's goroutine ends
}

// watchDelay is how far into a run the watch of its client begins.
const watchDelay = 20 * time.Millisecond

// pipelinedPoll is how often a connection with a pipelined request
// waiting is asked whether its client has gone; well inside the 100 ms
// that a cancel may take.
const pipelinedPoll = 20 * time.Millisecond

// aLongTimeAgo is a read deadline that has passed.
var aLongTimeAgo = time.Unix(1, 0)

// begin calls gone when the client closes conn, from delay on until
// stop is called; stop returns once gone has returned, if it was called.
// Connections that are not sockets (tests' in-memory ones) are not
// watched.
func (w *connWatch) begin(conn net.Conn, delay time.Duration, gone func(error)) {
	if _, ok := conn.(syscall.Conn); !ok {
		return
	}
	w.conn, w.gone = conn, gone
	w.timer = time.AfterFunc(delay, w.watch)
}

func (w *connWatch) stop() {
	if w.timer == nil || w.timer.Stop() {
		return // not watched, or the run ended before the watch began: the usual case
	}
	w.mu.Lock()
	w.stopped = true
	started := w.started
	w.mu.Unlock()
	if !started {
		return // the watch will see stopped and not begin
	}
	close(w.quit)
	_ = w.conn.SetReadDeadline(aLongTimeAgo) // wakes the parked read
	<-w.done
	_ = w.conn.SetReadDeadline(time.Time{})
}

// leaving calls gone unless stop came first.
func (w *connWatch) leaving() {
	w.mu.Lock()
	stopped := w.stopped
	w.mu.Unlock()
	if !stopped {
		w.gone(errClientGone)
	}
}

// peek results.
const (
	peekOpen      = iota // nothing to read yet
	peekClosed           // EOF or an error: the client is gone
	peekPipelined        // bytes of a next request wait
)

func peek(fd uintptr) int {
	var b [1]byte
	for {
		n, _, errno := syscall.Syscall6(syscall.SYS_RECVFROM, fd, uintptr(unsafe.Pointer(&b[0])), 1,
			syscall.MSG_PEEK|syscall.MSG_DONTWAIT, 0, 0)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			return peekOpen
		case errno != 0 || n == 0:
			return peekClosed
		}
		return peekPipelined
	}
}

func (w *connWatch) watch() {
	w.mu.Lock()
	if w.stopped {
		w.mu.Unlock()
		return
	}
	w.started, w.quit, w.done = true, make(chan struct{}), make(chan struct{})
	w.mu.Unlock()
	defer close(w.done)
	raw, err := w.conn.(syscall.Conn).SyscallConn()
	if err != nil {
		return
	}
	state := peekOpen
	err = raw.Read(func(fd uintptr) bool {
		state = peek(fd)
		return state != peekOpen // false: park until readable
	})
	if err != nil && !errors.Is(err, syscall.EAGAIN) { // the deadline of stop, or a closed conn
		return
	}
	switch state {
	case peekClosed:
		w.leaving()
	case peekPipelined:
		w.pollState(raw)
	}
}

// pollState watches a connection whose client has sent more than its
// request: it is gone once the TCP state says its FIN came (CLOSE_WAIT)
// or the connection is closed.
func (w *connWatch) pollState(raw syscall.RawConn) {
	t := time.NewTicker(pipelinedPoll)
	defer t.Stop()
	for {
		select {
		case <-w.quit:
			return
		case <-t.C:
		}
		closed := false
		if err := raw.Control(func(fd uintptr) {
			info, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
			closed = err != nil || info.State == unix.BPF_TCP_CLOSE_WAIT || info.State == unix.BPF_TCP_CLOSE
		}); err != nil {
			return
		}
		if closed {
			w.leaving()
			return
		}
	}
}
