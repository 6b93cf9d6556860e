package sandbox

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/internal/reuse"
)

// Serve is the sandbox process's loop: it reads requests from r, runs each
// on its own goroutine on eng, and writes answers to w as runs finish. It
// returns when r ends (the gateway closed the pipe or went away).
func Serve(r io.Reader, w io.Writer, eng functions.Executor) error {
	return serve(r, w, eng, nil, nil, nil, nil)
}

// serve is Serve with the engine's kv client, which sends its calls on
// the same pipe and gets their answers from the same reader, the
// handoffs of the chains it runs, by name, and the board it notes their
// steps on (nil for none).
func serve(r io.Reader, w io.Writer, eng functions.Executor, kv *kvClient, handoffs map[string]functions.Handoff, b *childBoard, stats func() engine.Stats) error {
	in := bufio.NewReaderSize(r, 64<<10)
	out := newFrameWriter(w, true)
	if stats != nil {
		stop := make(chan struct{})
		defer close(stop)
		go reportStats(out, stats, stop)
	}
	versions := newVersionTable()
	var (
		wg      sync.WaitGroup
		cmu     sync.Mutex
		cancels = map[uint64]context.CancelFunc{}
	)
	send := func(resp response) {
		err := out.send(func(b []byte) ([]byte, error) { return appendResponse(b, &resp), nil })
		if errors.Is(err, errFrameTooLarge) {
			tooLarge := response{ID: resp.ID, Err: &functions.RunError{Status: http.StatusInternalServerError,
				Code: functions.CodeBadResult, Message: "the result is too large to send"}}
			if resp.Result != nil {
				tooLarge.Err.CPU = resp.Result.CPU
			}
			_ = out.send(func(b []byte) ([]byte, error) { return appendResponse(b, &tooLarge), nil })
		}
		// A broken pipe means the gateway is gone: nobody to tell.
	}
	if kv != nil {
		kv.send = func(resp response) error {
			return out.send(func(b []byte) ([]byte, error) { return appendResponse(b, &resp), nil })
		}
	}
	runs := reuse.NewRunners(func(j job) {
		defer wg.Done()
		var resp response
		if j.req.Chain != nil {
			resp = runChain(j.ctx, eng, handoffs, b, j.req.ID, j.req.Chain)
		} else {
			resp = run(j.ctx, eng, j.req)
		}
		cmu.Lock()
		delete(cancels, j.req.ID)
		cmu.Unlock()
		j.cancel()
		send(resp)
	})
	for {
		req, err := readRequest(in, versions)
		if err != nil {
			wg.Wait()
			_ = out.close()
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if req.unknownVersion {
			send(response{ID: req.ID, NeedVersion: true})
			continue
		}
		if req.KVReply != nil {
			if kv != nil {
				kv.deliver(req.KVReply)
			}
			continue
		}
		if req.Cancel {
			cmu.Lock()
			if cancel := cancels[req.ID]; cancel != nil {
				cancel()
			}
			cmu.Unlock()
			continue
		}
		if req.Live {
			sendLogs(req, func(resp response) {
				// A line may wait a moment for the run's next frame (the
				// next line, or its answer) to share its write.
				_ = out.sendSoon(func(b []byte) ([]byte, error) { return appendResponse(b, &resp), nil }, liveLogDelay)
			})
		}
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), frameKey{}, req.ID))
		cmu.Lock()
		cancels[req.ID] = cancel
		cmu.Unlock()
		wg.Add(1)
		runs.Start(job{req: req, ctx: ctx, cancel: cancel})
	}
}

// liveLogDelay is how long a console line of a live run may wait in the
// sandbox for another frame to share its write.
const liveLogDelay = time.Millisecond

// sendLogs makes the runs of req send each console line to the gateway
// as it is printed, tagged with its step in a chain.
func sendLogs(req request, send func(response)) {
	id := req.ID
	on := func(step int) func(functions.LogLine) {
		return func(l functions.LogLine) { send(response{ID: id, Log: &logFrame{Step: step, Line: l}}) }
	}
	if req.Inv != nil {
		req.Inv.OnLog = on(0)
	}
	if req.Chain != nil {
		for i, inv := range req.Chain.Steps {
			inv.OnLog = on(i)
		}
	}
}

func readRequest(in *bufio.Reader, versions *versionTable) (request, error) {
	b, err := readFrame(in)
	if err != nil {
		return request{}, err
	}
	return decodeRequest(b, versions)
}

// job is one request on its way to a runner.
type job struct {
	req    request
	ctx    context.Context
	cancel context.CancelFunc
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
