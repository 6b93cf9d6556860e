package sandbox

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// Serve is the sandbox process's loop: it reads requests from r, runs each
// in its own goroutine on eng, and writes answers to w as runs finish. It
// returns when r ends (the gateway closed the pipe or went away).
func Serve(r io.Reader, w io.Writer, eng functions.Executor) error {
	in := bufio.NewReaderSize(r, 64<<10)
	out := bufio.NewWriterSize(w, 64<<10)
	var (
		mu      sync.Mutex // one frame at a time on out
		wg      sync.WaitGroup
		cmu     sync.Mutex
		cancels = map[uint64]context.CancelFunc{}
	)
	send := func(resp response) {
		mu.Lock()
		defer mu.Unlock()
		if err := writeFrame(out, resp); errors.Is(err, errFrameTooLarge) {
			_ = writeFrame(out, response{ID: resp.ID, Err: &functions.RunError{Status: http.StatusInternalServerError,
				Code: functions.CodeBadResult, Message: "the result is too large to send"}})
		}
		_ = out.Flush()
	}
	for {
		var req request
		if err := readFrame(in, &req); err != nil {
			wg.Wait()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if req.Cancel {
			cmu.Lock()
			if cancel := cancels[req.ID]; cancel != nil {
				cancel()
			}
			cmu.Unlock()
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		cmu.Lock()
		cancels[req.ID] = cancel
		cmu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := run(ctx, eng, req)
			cmu.Lock()
			delete(cancels, req.ID)
			cmu.Unlock()
			cancel()
			send(resp)
		}()
	}
}

func run(ctx context.Context, eng functions.Executor, req request) response {
	resp := response{ID: req.ID}
	if req.Inv == nil {
		resp.Err = &functions.RunError{Status: http.StatusInternalServerError, Code: "sandbox_error", Message: "empty request"}
		return resp
	}
	res, err := eng.Execute(ctx, req.Inv)
	var re *functions.RunError
	switch {
	case err == nil:
		resp.Result = res
	case errors.Is(err, engine.ErrNoCode):
		resp.NeedCode = true
	case errors.As(err, &re):
		resp.Err = re
	default:
		resp.Err = &functions.RunError{Status: http.StatusInternalServerError, Code: "sandbox_error", Message: err.Error()}
	}
	return resp
}
