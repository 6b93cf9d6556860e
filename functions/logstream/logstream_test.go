package logstream

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

func line(rid, level, msg string) Line {
	return Line{RequestID: rid, Time: time.Now(), Level: level, Message: msg}
}

func drain(f *Follower) []string {
	var out []string
	for {
		select {
		case l := <-f.Lines():
			out = append(out, l.RequestID+" "+l.Level+" "+l.Message)
		default:
			return out
		}
	}
}

func TestHub(t *testing.T) {
	cases := []struct {
		name     string
		follow   string // the function followed
		minLevel int
		buffer   int
		publish  []Line // all to fn_a
		want     []string
		dropped  uint64
	}{
		{"every level", "fn_a", 0, 10,
			[]Line{line("r1", "debug", "d"), line("r2", "info", "i"), line("r1", "error", "e")},
			[]string{"r1 debug d", "r2 info i", "r1 error e"}, 0},
		{"warn and above", "fn_a", 2, 10,
			[]Line{line("r1", "debug", "d"), line("r1", "info", "i"), line("r1", "warn", "w"), line("r1", "error", "e")},
			[]string{"r1 warn w", "r1 error e"}, 0},
		{"another function's lines", "fn_b", 0, 10, []Line{line("r1", "info", "i")}, nil, 0},
		{"a full buffer drops and counts", "fn_a", 0, 2,
			[]Line{line("r1", "info", "1"), line("r1", "info", "2"), line("r1", "info", "3"), line("r1", "info", "4")},
			[]string{"r1 info 1", "r1 info 2"}, 2},
		{"filtered lines are not dropped", "fn_a", 3, 1,
			[]Line{line("r1", "info", "1"), line("r1", "info", "2"), line("r1", "error", "3")},
			[]string{"r1 error 3"}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := New()
			f := h.Follow(c.follow, c.minLevel, c.buffer)
			defer f.Close()
			if !h.Following(c.follow) || h.Following("fn_other") {
				t.Fatal("Following is wrong")
			}
			for _, l := range c.publish {
				h.Publish("fn_a", l)
			}
			if got := drain(f); fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("lines %q, want %q", got, c.want)
			}
			if n := f.TakeDropped(); n != c.dropped {
				t.Errorf("dropped %d, want %d", n, c.dropped)
			}
			if n := f.TakeDropped(); n != 0 {
				t.Errorf("dropped again: %d", n)
			}
		})
	}
}

func TestHubClose(t *testing.T) {
	h := New()
	f1, f2 := h.Follow("fn_a", 0, 4), h.Follow("fn_a", 0, 4)
	if h.Followers() != 2 {
		t.Fatalf("followers %d", h.Followers())
	}
	f1.Close()
	f1.Close() // twice is once
	h.Publish("fn_a", line("r", "info", "x"))
	if len(drain(f1)) != 0 || len(drain(f2)) != 1 || h.Followers() != 1 {
		t.Fatal("a closed follower still gets lines")
	}
	f2.Close()
	if h.Following("fn_a") || h.Followers() != 0 {
		t.Fatal("still following after every Close")
	}
	var nilHub *Hub
	nilHub.Publish("fn_a", line("r", "info", "x")) // a gateway without a hub
	if nilHub.Following("fn_a") {
		t.Fatal("a nil hub follows")
	}
}

// Publishing from many runs while followers come and go is safe (-race),
// and a follower that never reads never blocks a publisher.
func TestHubConcurrent(t *testing.T) {
	h := New()
	slow := h.Follow("fn_a", 0, 8)
	defer slow.Close()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				h.Publish("fn_a", line(fmt.Sprint("r", i), "info", "x"))
				if j%100 == 0 {
					h.Follow("fn_a", 0, 1).Close()
				}
			}
		}(i)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("publishers blocked on a follower that does not read")
	}
	if got, missed := len(drain(slow)), slow.TakeDropped(); got != 8 || missed != 8000-8 {
		t.Fatalf("kept %d, dropped %d", got, missed)
	}
}

// What a run pays to publish its lines. With nobody following it is one
// atomic load (compare BenchmarkPublishFollowedElsewhere and
// BenchmarkPublishOneFollower): nothing next to a run's ~40 µs.
func BenchmarkPublishNoFollowers(b *testing.B) {
	h := New()
	l := LineOf("r1", functions.LogLine{Time: time.Now(), Level: "info", Message: "hello"})
	b.ReportAllocs()
	for b.Loop() {
		if h.Following("fn_a") {
			b.Fatal("following")
		}
		h.Publish("fn_a", l)
	}
}

func BenchmarkPublishFollowedElsewhere(b *testing.B) {
	h := New()
	f := h.Follow("fn_b", 0, 1)
	defer f.Close()
	l := LineOf("r1", functions.LogLine{Time: time.Now(), Level: "info", Message: "hello"})
	b.ReportAllocs()
	for b.Loop() {
		h.Publish("fn_a", l)
	}
}

func BenchmarkPublishOneFollower(b *testing.B) {
	h := New()
	f := h.Follow("fn_a", 0, 1024)
	defer f.Close()
	go func() {
		for range f.Lines() {
		}
	}()
	l := LineOf("r1", functions.LogLine{Time: time.Now(), Level: "info", Message: "hello"})
	b.ReportAllocs()
	for b.Loop() {
		h.Publish("fn_a", l)
	}
}
