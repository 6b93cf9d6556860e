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
}

// response answers one request: a result, a run error, or needCode.
type response struct {
	ID       uint64              `json:"id"`
	Result   *functions.Result   `json:"result,omitempty"`
	Err      *functions.RunError `json:"err,omitempty"`
	NeedCode bool                `json:"need_code,omitempty"`
}

var errFrameTooLarge = errors.New("sandbox: frame too large")

func writeFrame(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if len(b) > maxFrame {
		return errFrameTooLarge
	}
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(b)))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
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
