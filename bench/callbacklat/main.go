// Command callbacklat measures the time from an async call's 202 to its
// callback: it sends --n calls with Prefer: respond-async at --rate per
// second, each with X-Callback-Url pointing at a receiver it serves on
// loopback, and prints one JSON line with the p50 and p99 of accept →
// callback. The gateway must allow loopback callbacks (--fetch-allow
// 127.0.0.1/32) and its tenant must have a callback secret.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	target := flag.String("url", "", "the function's URL, http://127.0.0.1:PORT/v1/fn/<uuid>")
	n := flag.Int("n", 500, "calls to send")
	rate := flag.Float64("rate", 200, "calls per second")
	wait := flag.Duration("wait", 60*time.Second, "how long to wait for the last callbacks")
	flag.Parse()
	if err := run(*target, *n, *rate, *wait); err != nil {
		fmt.Fprintln(os.Stderr, "callbacklat:", err)
		os.Exit(1)
	}
}

func run(target string, n int, rate float64, wait time.Duration) error {
	if !strings.HasPrefix(target, "http://127.0.0.1:") {
		return fmt.Errorf("--url must be a loopback http URL")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	var mu sync.Mutex
	accepted := map[string]time.Time{}
	// A callback may come before its 202 is read here (the run took less
	// than the answer's way back): it waits in early, and counts as 0.
	early := map[string]time.Time{}
	var lat []time.Duration
	done := make(chan struct{}, n)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at := time.Now()
		_, _ = io.Copy(io.Discard, r.Body)
		id := r.Header.Get("X-ScriptForge-Request-Id")
		mu.Lock()
		if t, ok := accepted[id]; ok {
			lat = append(lat, at.Sub(t))
			delete(accepted, id) // a duplicate delivery counts once
			done <- struct{}{}
		} else if id != "" {
			early[id] = at
		}
		mu.Unlock()
	})}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	callback := "http://" + ln.Addr().String() + "/hook"
	client := &http.Client{Timeout: 10 * time.Second}
	tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer tick.Stop()
	refused, firstRefusal := 0, ""
	for range n {
		<-tick.C
		req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(`{"n":42}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Prefer", "respond-async")
		req.Header.Set("X-Callback-Url", callback)
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		at := time.Now()
		var v struct {
			RequestID string `json:"request_id"`
		}
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal(body, &v) != nil {
			if refused == 0 {
				firstRefusal = fmt.Sprintf("%d %s", resp.StatusCode, body)
			}
			refused++
			continue
		}
		mu.Lock()
		if cb, ok := early[v.RequestID]; ok {
			delete(early, v.RequestID)
			lat = append(lat, max(0, cb.Sub(at)))
			done <- struct{}{}
		} else {
			accepted[v.RequestID] = at
		}
		mu.Unlock()
	}
	want := n - refused
	if want == 0 {
		return fmt.Errorf("all %d calls were refused, the first with %s", n, firstRefusal)
	}
	timeout := time.After(wait)
	for got := 0; got < want; got++ {
		select {
		case <-done:
		case <-timeout:
			return fmt.Errorf("%d of %d callbacks came within %v", got, want, wait)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	fmt.Printf(`{"calls":%d,"refused":%d,"p50_ms":%.2f,"p99_ms":%.2f,"max_ms":%.2f}`+"\n", n, refused, q(0.5), q(0.99), q(1))
	return nil
}
