// Package sandbox runs functions in child processes of the gateway's own
// binary ("scriptforge sandbox"), so that user code never runs in the
// gateway process: a bomb that slips past the engine's guards kills one
// sandbox, which fails only the runs it held and is started again.
//
// The gateway and a sandbox speak length-prefixed binary frames (see
// codec.go) over the child's stdin and stdout; requests carry an id, so
// many runs share one child at once and answers come back in any order.
package sandbox

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// maxFrame bounds one frame: an invocation carries at most the code
// (a few MiB) and the body (the gateway's limit), an answer the result cap.
const maxFrame = 64 << 20

// request asks a sandbox to run one invocation. Code is left out when the
// gateway believes the sandbox has the program cached, and the version
// record (see versions.go) when it believes the sandbox holds it; a
// sandbox without either answers need and the gateway sends it again.
//
// A request with Cancel set and no Inv stops the run with that id (its
// caller went away).
type request struct {
	ID     uint64
	Inv    *functions.Invocation
	Cancel bool
	// KVReply answers a kv call the run with this id made.
	KVReply *kvReply
	// unknownVersion: the frame named a version record this sandbox does
	// not hold, so Inv is nil.
	unknownVersion bool
	// Chain is a chain of runs to make one after another (see chain.go).
	Chain *chainRequest
	// Live: send the run's console lines as they are printed (kindLog).
	Live bool
}

// logFrame is one console line of a live run in progress; Step is its
// step's index in a chain frame (0 for a single run).
type logFrame struct {
	Step int
	Line functions.LogLine
}

// kvCall is a run's call of the kv module, sent to the gateway, which
// owns the store and knows the run's tenant: a sandbox names only the run.
type kvCall struct {
	Call uint64
	Op   functions.KVOp
}

type kvReply struct {
	Call  uint64
	Reply functions.KVReply
}

// response answers one request: a result, a run error, or a need for the
// code or the version record; or it carries a kv call of the run.
type response struct {
	ID          uint64
	Result      *functions.Result
	Err         *functions.RunError
	NeedCode    bool
	NeedVersion bool
	// KV is a kv call of the run in progress with this id: not its answer.
	KV *kvCall
	// Log is a console line of the live run in progress with this id:
	// not its answer either.
	Log *logFrame
	// Chain answers a chain: the steps that ran, in order (not nil, so
	// that an answer with no step is still a chain's).
	Chain []chainStep
	// Stats are the sandbox's engine figures (see stats.go): no answer.
	Stats *engine.Stats
}

// need is what the sandbox asks to be sent, as run frame flags: the
// sandbox encodes it, the gateway acts on it.
func (r *response) need() byte {
	var f byte
	if r.NeedCode {
		f |= withCode
	}
	if r.NeedVersion {
		f |= withVersion
	}
	return f
}

var errFrameTooLarge = errors.New("sandbox: frame too large")

// frameWriter sends frames from many goroutines over one pipe. Senders
// encode their frames straight into the batch waiting to be written, and
// one write system call carries every frame that arrived while the last
// one was in progress: no allocation and no channel send per frame.
//
// Who writes depends on the side. In a sandbox (direct) the sender that
// finds the writer idle writes the batch itself: a sandbox whose gateway
// stops reading has nothing better to do. In the gateway a caller must
// never block in a write, or its watchdog could not kill a sandbox that
// stopped reading; so the sender that finds the writer idle makes one
// write that does not wait, which is all it takes unless the pipe is
// full, and leaves what the pipe did not take to a goroutine of the
// writer's own, which may wait.
type frameWriter struct {
	w      io.Writer
	raw    syscall.RawConn // w's, for writes that do not wait; gateway side
	nw     noWaitWrite
	direct bool // the sender writes (sandbox side); else loop does

	mu      sync.Mutex
	space   *sync.Cond // signalled when a batch has been written, or the writer stops
	pending []byte     // frames waiting to be written
	spare   []byte     // the buffer of the batch last written, for reuse
	writing bool       // a batch is being written
	closing bool
	err     error // why it stopped, if the pipe broke
	queued  int64 // bytes of the stream queued so far: the end of the last frame
	// soon writes the frames of sendSoon that wait, unless a send does first.
	soon *time.Timer

	// written counts the bytes that went into the pipe: with the bytes
	// the pipe still holds, it tells what a dead sandbox had read.
	written atomic.Int64

	kick chan struct{} // wakes loop; gateway side
	done chan struct{} // closed when loop has stopped; gateway side
}

// maxPending is how many bytes may wait for the pipe before senders wait.
const maxPending = 1 << 20

func newFrameWriter(w io.Writer, direct bool) *frameWriter {
	fw := &frameWriter{w: w, direct: direct}
	fw.space = sync.NewCond(&fw.mu)
	if !direct {
		if sc, ok := w.(syscall.Conn); ok { // an os.File pipe
			fw.raw, _ = sc.SyscallConn()
			fw.nw.write = func(fd uintptr) bool {
				fw.nw.n, fw.nw.err = syscall.Write(int(fd), fw.nw.b)
				return true // one attempt: never wait for the pipe
			}
		}
		fw.kick, fw.done = make(chan struct{}, 1), make(chan struct{})
		go fw.loop()
	}
	return fw
}

func (fw *frameWriter) loop() {
	defer close(fw.done)
	for range fw.kick {
		fw.mu.Lock()
		fw.flushLocked(false)
		broken := fw.err != nil
		fw.mu.Unlock()
		if broken {
			return
		}
	}
}

var errWouldBlock = errors.New("sandbox: the pipe is full")

// flushLocked writes the pending frames, batch after batch, until none
// are left. It drops the lock while it writes; other senders meanwhile
// add to the next batch. With noWait it stops at the first write the pipe
// would make wait, leaves the rest pending, and reports false.
func (fw *frameWriter) flushLocked(noWait bool) bool {
	if fw.writing {
		return true // the writer at work takes them
	}
	fw.writing = true
	defer func() {
		fw.writing = false
		fw.space.Broadcast()
	}()
	for len(fw.pending) > 0 && fw.err == nil {
		batch := fw.pending
		fw.pending = fw.spare[:0]
		fw.mu.Unlock()
		var n int
		var err error
		if noWait {
			n, err = fw.writeNoWait(batch)
		} else {
			n, err = fw.w.Write(batch)
		}
		fw.written.Add(int64(n))
		fw.mu.Lock()
		if err != nil && err != errWouldBlock {
			fw.err = err
		}
		if n < len(batch) && fw.err == nil { // keep the rest first in line
			rest := copy(batch, batch[n:])
			fw.spare, fw.pending = fw.pending[:0], append(batch[:rest], fw.pending...)
			return false
		}
		if cap(batch) <= maxPending { // a huge frame's buffer is not kept
			fw.spare = batch[:0]
		} else {
			fw.spare = nil
		}
		fw.space.Broadcast()
	}
	return true
}

// writeNoWait makes one write system call, which takes what fits. Only
// the one writing calls it, so its state lives in fw: a closure per call
// would be three allocations.
func (fw *frameWriter) writeNoWait(b []byte) (int, error) {
	fw.nw.b = b
	err := fw.raw.Write(fw.nw.write)
	n, werr := max(fw.nw.n, 0), fw.nw.err
	fw.nw.b = nil
	if err != nil {
		return 0, err
	}
	if werr == syscall.EAGAIN || werr == syscall.EINTR {
		return n, errWouldBlock
	}
	return n, werr
}

type noWaitWrite struct {
	b     []byte
	n     int
	err   error
	write func(fd uintptr) bool
}

// send encodes one frame with encode, which appends a payload to its
// argument, and queues it; it fails once the writer has stopped. A frame
// past maxFrame is not sent: send returns errFrameTooLarge.
func (fw *frameWriter) send(encode func([]byte) ([]byte, error)) error {
	return fw.sendAt(encode, nil)
}

// sendSoon queues a frame that may wait up to after to be written: a
// frame sent meanwhile takes it along in the same write (a run's console
// line and, a moment later, its answer: one write, one wake-up of the
// reader, instead of two). Sandbox side (direct) only; elsewhere it is
// send.
func (fw *frameWriter) sendSoon(encode func([]byte) ([]byte, error), after time.Duration) error {
	if !fw.direct {
		return fw.send(encode)
	}
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if err := fw.stoppedLocked(); err != nil {
		return err
	}
	if len(fw.pending) >= maxPending { // the pipe is behind: no more waiting frames
		fw.flushLocked(false)
		if fw.err != nil {
			return fw.err
		}
	}
	if err := fw.queueLocked(encode); err != nil {
		return err
	}
	if fw.soon == nil {
		var t *time.Timer
		t = time.AfterFunc(after, func() {
			fw.mu.Lock()
			defer fw.mu.Unlock()
			if fw.soon != t {
				return // a send wrote the frames already
			}
			fw.soon = nil
			if fw.err == nil {
				fw.flushLocked(false)
			}
		})
		fw.soon = t
	}
	return nil
}

// queueLocked appends one frame, its length first, to the frames
// waiting to be written; a frame encode fails on, or that passes
// maxFrame, is left out.
func (fw *frameWriter) queueLocked(encode func([]byte) ([]byte, error)) error {
	start := len(fw.pending)
	b, err := encode(append(fw.pending, 0, 0, 0, 0))
	if err == nil && len(b)-start-4 > maxFrame {
		err = errFrameTooLarge
	}
	if err != nil {
		fw.pending = b[:start]
		return err
	}
	binary.BigEndian.PutUint32(b[start:], uint32(len(b)-start-4))
	fw.pending = b
	fw.queued += int64(len(b) - start)
	return nil
}

// sendAt is send, and tells queued where the frame ends in the stream
// before it can reach the other side.
func (fw *frameWriter) sendAt(encode func([]byte) ([]byte, error), queued func(end int64)) error {
	fw.mu.Lock()
	for len(fw.pending) >= maxPending && fw.err == nil && !fw.closing {
		fw.space.Wait()
	}
	if err := fw.stoppedLocked(); err != nil {
		fw.mu.Unlock()
		return err
	}
	err := fw.queueLocked(encode)
	if err != nil {
		fw.mu.Unlock()
		return err
	}
	if queued != nil {
		queued(fw.queued)
	}
	switch {
	case fw.direct:
		if fw.soon != nil { // this write takes the waiting frames along
			fw.soon.Stop()
			fw.soon = nil
		}
		fw.flushLocked(false)
		err = fw.err
	case fw.writing: // the writer at work takes it
	case fw.raw != nil && fw.flushLocked(true):
		err = fw.err // written without waiting
	case fw.closing: // close writes what is left
	default:
		select {
		case fw.kick <- struct{}{}:
		default: // already kicked
		}
	}
	fw.mu.Unlock()
	return err
}

func (fw *frameWriter) stoppedLocked() error {
	if fw.err != nil {
		return fw.err
	}
	if fw.closing {
		return errWriterClosed
	}
	return nil
}

var errWriterClosed = errors.New("sandbox: frame writer closed")

// close writes what is queued and stops the writer; later sends fail.
func (fw *frameWriter) close() error {
	fw.mu.Lock()
	already := fw.closing
	fw.closing = true // from now on nobody kicks loop
	fw.space.Broadcast()
	fw.mu.Unlock()
	if !fw.direct {
		if !already {
			close(fw.kick)
		}
		<-fw.done
	}
	fw.mu.Lock()
	defer fw.mu.Unlock()
	for fw.writing { // a sender's write, or one that did not wait
		fw.space.Wait()
	}
	fw.flushLocked(false)
	return fw.err
}

// readFrame reads one frame's payload into a buffer of its own: decoded
// strings point into it (see dec).
func readFrame(r *bufio.Reader) ([]byte, error) {
	hdr, err := r.Peek(4)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr)
	_, _ = r.Discard(4)
	if n > maxFrame {
		return nil, fmt.Errorf("%w: %d bytes", errFrameTooLarge, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return b, nil
}
