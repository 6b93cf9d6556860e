package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Frames sent from many goroutines arrive whole, each sender's in its
// order, in each way of writing: the sender's own write (sandbox), the
// writer's goroutine (gateway, over a writer without a file), and a write
// that does not wait, handing over to the goroutine when the pipe is full
// (gateway, over an OS pipe, whose reader starts late so that it fills).
// close writes what is queued, and a send after it fails.
func TestFrameWriterDeliversEveryFrame(t *testing.T) {
	for _, mode := range []string{"direct", "loop", "no-wait"} {
		t.Run(mode, func(t *testing.T) {
			var r io.Reader
			var w io.WriteCloser
			if mode == "no-wait" {
				pr, pw, err := os.Pipe()
				if err != nil {
					t.Fatal(err)
				}
				defer pr.Close()
				r, w = pr, pw
			} else {
				r, w = io.Pipe()
			}
			fw := newFrameWriter(w, mode == "direct")
			if (fw.raw != nil) != (mode == "no-wait") {
				t.Fatalf("raw conn: %v", fw.raw)
			}
			got := make(chan map[uint64][]uint64, 1)
			go func() {
				time.Sleep(50 * time.Millisecond)
				in, seen := bufio.NewReader(r), map[uint64][]uint64{}
				for {
					resp, err := readResponse(in)
					if err != nil {
						got <- seen
						return
					}
					if resp.KV.Op.Key != strings.Repeat("k", int(resp.KV.Call)%1000) {
						t.Errorf("frame %d of %d: key of %d bytes", resp.KV.Call, resp.ID, len(resp.KV.Op.Key))
					}
					seen[resp.ID] = append(seen[resp.ID], resp.KV.Call)
				}
			}()
			const senders, each = 8, 200
			var wg sync.WaitGroup
			for s := uint64(1); s <= senders; s++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := uint64(0); i < each; i++ {
						r := response{ID: s, KV: &kvCall{Call: i, Op: functions.KVOp{Key: strings.Repeat("k", int(i)%1000)}}}
						if err := fw.send(func(b []byte) ([]byte, error) { return appendResponse(b, &r), nil }); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			if err := fw.close(); err != nil {
				t.Fatal(err)
			}
			if err := fw.send(func(b []byte) ([]byte, error) { return appendCancel(b, 1), nil }); !errors.Is(err, errWriterClosed) {
				t.Fatalf("send after close: %v", err)
			}
			w.Close()
			seen := <-got
			for s := uint64(1); s <= senders; s++ {
				if len(seen[s]) != each {
					t.Fatalf("sender %d: %d frames arrived", s, len(seen[s]))
				}
				for i, call := range seen[s] {
					if call != uint64(i) {
						t.Fatalf("sender %d: frame %d arrived as %d", s, i, call)
					}
				}
			}
		})
	}
}

// A frame past maxFrame is refused and leaves the batch as it was; a
// broken pipe fails the sends after it.
func TestFrameWriterRefusals(t *testing.T) {
	for _, direct := range []bool{false, true} {
		var out bytes.Buffer
		fw := newFrameWriter(&out, direct)
		big := func(b []byte) ([]byte, error) { return append(b, make([]byte, maxFrame+1)...), nil }
		if err := fw.send(big); !errors.Is(err, errFrameTooLarge) {
			t.Fatalf("direct=%v: oversized frame: %v", direct, err)
		}
		if err := fw.send(func(b []byte) ([]byte, error) { return appendCancel(b, 5), nil }); err != nil {
			t.Fatal(err)
		}
		if err := fw.close(); err != nil {
			t.Fatal(err)
		}
		if req, err := readRequest(bufio.NewReader(&out), nil); err != nil || req.ID != 5 || !req.Cancel {
			t.Fatalf("direct=%v: after the refusal: %+v %v", direct, req, err)
		}

		pr, pw := io.Pipe()
		pr.Close()
		fw = newFrameWriter(pw, direct)
		send := func() error { return fw.send(func(b []byte) ([]byte, error) { return appendCancel(b, 1), nil }) }
		_ = send() // the writer finds the pipe broken, now or in its loop
		fw.close()
		if err := send(); !errors.Is(err, io.ErrClosedPipe) {
			t.Fatalf("direct=%v: send on a broken pipe: %v", direct, err)
		}
	}
}

// Senders racing close on a full pipe: nothing panics, what was accepted
// before close arrives, and sends after it fail.
func TestFrameWriterCloseWhileSending(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	fw := newFrameWriter(pw, false)
	var accepted sync.Map
	var naccepted atomic.Int64
	var wg sync.WaitGroup
	for s := uint64(1); s <= 4; s++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := uint64(0); ; i++ {
				r := response{ID: s, KV: &kvCall{Call: i, Op: functions.KVOp{Key: strings.Repeat("k", 900)}}}
				if err := fw.send(func(b []byte) ([]byte, error) { return appendResponse(b, &r), nil }); err != nil {
					if !errors.Is(err, errWriterClosed) {
						t.Error(err)
					}
					return
				}
				accepted.Store([2]uint64{s, i}, true)
				naccepted.Add(1)
			}
		}()
	}
	got := make(chan int, 1)
	go func() {
		time.Sleep(30 * time.Millisecond) // the pipe fills meanwhile
		in, n := bufio.NewReader(pr), 0
		for {
			resp, err := readResponse(in)
			if err != nil {
				got <- n
				return
			}
			if resp.KV.Op.Key == strings.Repeat("k", 900) {
				n++
			}
		}
	}()
	// Close once more frames were accepted than the pipe holds (~70), not
	// after a fixed pause, which a slow machine can spend before any.
	deadline := time.Now().Add(10 * time.Second)
	for naccepted.Load() < 100 {
		if time.Now().After(deadline) {
			t.Fatalf("%d frames accepted before the close", naccepted.Load())
		}
		time.Sleep(time.Millisecond)
	}
	if err := fw.close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	pw.Close()
	n := <-got
	total := 0
	accepted.Range(func(any, any) bool { total++; return true })
	if n != total || total == 0 {
		t.Fatalf("%d frames accepted, %d arrived", total, n)
	}
}
