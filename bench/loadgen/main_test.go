package main

import (
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCheckTargets(t *testing.T) {
	tests := []struct {
		name    string
		targets []string
		wantErr string
	}{
		{"one loopback URL", []string{"http://127.0.0.1:8080/v1/fn/a"}, ""},
		{"several of one host", []string{"http://127.0.0.1:8080/v1/fn/a", "http://127.0.0.1:8080/v1/fn/b"}, ""},
		{"localhost", []string{"http://localhost:8080/x"}, ""},
		{"two ports", []string{"http://127.0.0.1:8080/a", "http://127.0.0.1:8081/b"}, "one host"},
		{"not loopback", []string{"http://127.0.0.1:8080/a", "http://10.0.0.1:8080/b"}, "loopback"},
		{"https", []string{"https://127.0.0.1/a"}, "http:// URL"},
		{"no host", []string{"/v1/fn/a"}, "http:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := checkTargets(tt.targets)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestReadURLs(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
		wantErr       bool
	}{
		{"lines", "http://127.0.0.1:1/a\nhttp://127.0.0.1:1/b\n", []string{"http://127.0.0.1:1/a", "http://127.0.0.1:1/b"}, false},
		{"blank lines and spaces skipped", "\n  http://127.0.0.1:1/a  \n\n", []string{"http://127.0.0.1:1/a"}, false},
		{"empty", "\n\n", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "urls")
			if err := os.WriteFile(p, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := readURLs(p)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if strings.Join(got, " ") != strings.Join(tt.want, " ") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// countingServer serves {} on 127.0.0.1 and counts the calls per path.
func countingServer(t *testing.T) (string, func() map[string]int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	hits := map[string]int{}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		hits[r.URL.Path]++
		mu.Unlock()
		w.Write([]byte("{}"))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), func() map[string]int {
		mu.Lock()
		defer mu.Unlock()
		return maps.Clone(hits)
	}
}

// quietRun is run with its JSON line sent to /dev/null.
func quietRun(t *testing.T, targets []string, concurrency int, duration time.Duration, maxRequests int64) {
	t.Helper()
	stdout := os.Stdout
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	os.Stdout = devnull
	err = run(targets, `{"n":1}`, "", nil, concurrency, duration, 0, time.Second, maxRequests)
	os.Stdout = stdout
	if err != nil {
		t.Fatal(err)
	}
}

// TestRunSpreadsOverURLs runs the load against a local server and checks
// that every URL of the list was called, about equally often.
func TestRunSpreadsOverURLs(t *testing.T) {
	base, hits := countingServer(t)
	quietRun(t, []string{base + "/a", base + "/b", base + "/c"}, 4, 300*time.Millisecond, 0)
	got := hits()
	lo, hi := -1, 0
	for _, p := range []string{"/a", "/b", "/c"} {
		n := got[p]
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	if lo < 10 {
		t.Fatalf("some URL got almost no calls: %v", got)
	}
	// Round robin: the counts differ by at most one per worker.
	if hi-lo > 4 {
		t.Fatalf("calls not spread evenly: %v", got)
	}
}

// TestRunRequestsLimit: --requests 9 over three URLs calls each exactly
// three times, however many workers share them.
func TestRunRequestsLimit(t *testing.T) {
	base, hits := countingServer(t)
	quietRun(t, []string{base + "/a", base + "/b", base + "/c"}, 4, 10*time.Second, 9)
	want := map[string]int{"/a": 3, "/b": 3, "/c": 3}
	if got := hits(); !maps.Equal(got, want) {
		t.Fatalf("calls = %v, want %v", got, want)
	}
}
