// Package sandbox runs functions in child processes of the gateway's own
// binary ("scriptforge sandbox"), so that user code never runs in the
// gateway process: a bomb that slips past the engine's guards kills one
// sandbox, which fails only the runs it held and is started again.
//
// The gateway and a sandbox speak length-prefixed JSON frames over the
// child's stdin and stdout; requests carry an id, so many runs share one
// child at once and answers come back in any order.
package sandbox

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/scriptforge/scriptforge/functions"
)

// maxFrame bounds one frame: an invocation carries at most the code
// (a few MiB) and the body (the gateway's limit), an answer the result cap.
const maxFrame = 64 << 20

// request asks a sandbox to run one invocation. Code is left out when the
// gateway believes the sandbox has the program cached; a sandbox without
// it answers needCode and the gateway sends it again with the code.
//
// A request with Cancel set and no Inv stops the run with that id (its
// caller went away).
type request struct {
	ID     uint64                `json:"id"`
	Inv    *functions.Invocation `json:"inv,omitempty"`
	Cancel bool                  `json:"cancel,omitempty"`
	// KVReply answers a kv call the run with this id made.
	KVReply *kvReply `json:"kv_reply,omitempty"`
}

// kvCall is a run's call of the kv module, sent to the gateway, which
// owns the store and knows the run's tenant: a sandbox names only the run.
type kvCall struct {
	Call uint64         `json:"call"`
	Op   functions.KVOp `json:"op"`
}

type kvReply struct {
	Call  uint64            `json:"call"`
	Reply functions.KVReply `json:"reply"`
}

// response answers one request: a result, a run error, or needCode; or it
// carries a kv call of the run.
type response struct {
	ID       uint64              `json:"id"`
	Result   *functions.Result   `json:"result,omitempty"`
	Err      *functions.RunError `json:"err,omitempty"`
	NeedCode bool                `json:"need_code,omitempty"`
	// KV is a kv call of the run in progress with this id: not its answer.
	KV *kvCall `json:"kv,omitempty"`
}

var errFrameTooLarge = errors.New("sandbox: frame too large")

// encodeFrame returns v as one frame: a 4-byte big-endian length, then JSON.
func encodeFrame(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(b) > maxFrame {
		return nil, errFrameTooLarge
	}
	frame := make([]byte, 4, 4+len(b))
	binary.BigEndian.PutUint32(frame, uint32(len(b)))
	return append(frame, b...), nil
}

// frameWriter sends frames from many goroutines over one pipe. Callers
// encode their own frames in parallel; one goroutine writes them, and
// flushes only when no other frame is waiting, so under load one write
// system call carries many frames instead of one each.
type frameWriter struct {
	queue chan []byte
	quit  chan struct{} // closed by close
	once  sync.Once
	done  chan struct{} // closed when the writer has stopped
	err   error         // why it stopped, if the pipe broke; read after done
}

func newFrameWriter(w io.Writer) *frameWriter {
	fw := &frameWriter{queue: make(chan []byte, 256), quit: make(chan struct{}), done: make(chan struct{})}
	go fw.loop(bufio.NewWriterSize(w, 64<<10))
	return fw
}

func (fw *frameWriter) loop(out *bufio.Writer) {
	defer close(fw.done)
	for {
		var frame []byte
		select {
		case frame = <-fw.queue:
		case <-fw.quit:
			fw.err = fw.drain(out)
			return
		}
		if fw.err = fw.write(out, frame); fw.err != nil {
			return
		}
	}
}

// write writes frame and whatever else is queued, then flushes.
func (fw *frameWriter) write(out *bufio.Writer, frame []byte) error {
	if _, err := out.Write(frame); err != nil {
		return err
	}
	return fw.drain(out)
}

func (fw *frameWriter) drain(out *bufio.Writer) error {
	for {
		select {
		case frame := <-fw.queue:
			if _, err := out.Write(frame); err != nil {
				return err
			}
		default:
			return out.Flush()
		}
	}
}

// send queues one frame; it fails once the writer has stopped.
func (fw *frameWriter) send(frame []byte) error {
	select {
	case <-fw.done:
		if fw.err != nil {
			return fw.err
		}
		return errWriterClosed
	default:
	}
	select {
	case fw.queue <- frame:
		return nil
	case <-fw.done:
		if fw.err != nil {
			return fw.err
		}
		return errWriterClosed
	}
}

var errWriterClosed = errors.New("sandbox: frame writer closed")

// close writes what is queued and stops the writer; later sends fail.
func (fw *frameWriter) close() error {
	fw.once.Do(func() { close(fw.quit) })
	<-fw.done
	return fw.err
}

func readFrame(r *bufio.Reader, v any) error {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > maxFrame {
		return fmt.Errorf("%w: %d bytes", errFrameTooLarge, n)
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
