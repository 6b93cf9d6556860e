package sandbox

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	"testing"
)

// Frames sent from many goroutines arrive whole, each sender's in its
// order, in both ways of writing; close writes what is queued, and a send
// after it fails.
func TestFrameWriterDeliversEveryFrame(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprint("direct=", direct), func(t *testing.T) {
			pr, pw := io.Pipe()
			fw := newFrameWriter(pw, direct)
			got := make(chan map[uint64][]uint64, 1)
			go func() {
				in, seen := bufio.NewReader(pr), map[uint64][]uint64{}
				for {
					resp, err := readResponse(in)
					if err != nil {
						got <- seen
						return
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
						r := response{ID: s, KV: &kvCall{Call: i}}
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
			pw.Close()
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
