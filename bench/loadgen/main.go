// Command loadgen is a small closed-loop HTTP load generator for the
// benchmarks under bench/ (wrk may not be installed on the machine).
//
// Closed loop: --concurrency workers each send one request, wait for the
// answer, and send the next, over kept-alive connections. The first
// --warmup is not counted; requests that complete during the following
// --duration are. It prints one JSON line:
//
//	{"requests":N,"errors":N,"non2xx":N,"rps":F,"p50_ms":F,"p90_ms":F,"p99_ms":F,"max_ms":F,...}
//
// requests counts every answer received (any status); errors are transport
// failures and timeouts (no answer, so no latency; the worker pauses 5 ms
// after one); non2xx are answers with
// another status (their latency is included), tallied in non2xx_codes by
// status and, when the body is a ScriptForge error ({"error":{"code":…}}),
// its code: {"503 memory_limit":12}. rps = requests / duration. late counts
// the requests whose answer or error came only after the window closed
// (normally each worker's last one, so about --concurrency) and
// late_max_ms the longest of them: they are in no other figure, so a stall
// that outlasts the window shows there rather than nowhere.
// Errors are counted, never fatal, and the run always stops by itself:
// each request has a --timeout, so the whole run lasts at most
// warmup + duration + timeout.
//
// --requests N stops after N requests in all (the warm-up included), e.g.
// to call each URL of a list exactly once.
//
// --urls-file spreads the load over many URLs of one host (a file of URLs,
// one a line): each request takes the next URL of the list, round robin
// across all workers, so every URL is called equally often and in turn.
//
// Only loopback targets are accepted: this tool is for local benchmarks.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// result is the printed line.
type result struct {
	Requests    int64   `json:"requests"`
	Errors      int64   `json:"errors"`
	Non2xx      int64   `json:"non2xx"`
	RPS         float64 `json:"rps"`
	P50ms       float64 `json:"p50_ms"`
	P90ms       float64 `json:"p90_ms"`
	P99ms       float64 `json:"p99_ms"`
	Maxms       float64 `json:"max_ms"`
	Concurrency int     `json:"concurrency"`
	DurationS   float64 `json:"duration_s"`
	// LoadgenCPU is this process's own CPU use during the measured window,
	// in % of one core: the share of the machine the client took.
	LoadgenCPU float64 `json:"loadgen_cpu_pct"`
	// One sample of each kind of failure, to make a bad run easy to diagnose.
	FirstError  string `json:"first_error,omitempty"`
	FirstNon2xx string `json:"first_non2xx,omitempty"`
	// Non2xxCodes counts the non-2xx answers by "status code", e.g.
	// "503 memory_limit" (just "503" when the body names no error code).
	Non2xxCodes map[string]int64 `json:"non2xx_codes,omitempty"`
	// Late counts requests sent before the end of the window that were
	// answered (or failed) after it; they are not in the other figures.
	Late      int64   `json:"late"`
	LateMaxms float64 `json:"late_max_ms"`
	// URLs is how many targets --urls-file spread the load over.
	URLs int `json:"urls,omitempty"`
}

// worker is one closed-loop client; each keeps its own tallies so the hot
// loop takes no locks.
type worker struct {
	lat                     []time.Duration
	errors, non2xx, late    int64
	firstError, firstNon2xx string
	codes                   map[string]int64
	lateMax                 time.Duration
}

func main() {
	var headers headerFlags
	target := flag.String("url", "", "URL to load (loopback only), e.g. http://127.0.0.1:8080/v1/fn/<uuid>")
	urlsFile := flag.String("urls-file", "", "a file of URLs of one host, one a line, called round robin (instead of --url)")
	body := flag.String("body", "", "request body; with a body the default method is POST and Content-Type application/json")
	method := flag.String("method", "", "HTTP method (default: POST with a body, GET without)")
	flag.Var(&headers, "header", "extra header K:V (repeatable)")
	concurrency := flag.Int("concurrency", 32, "number of concurrent closed-loop workers (and connections)")
	duration := flag.Duration("duration", 5*time.Second, "measured duration")
	warmup := flag.Duration("warmup", time.Second, "unmeasured warm-up before the measured duration")
	timeout := flag.Duration("timeout", 5*time.Second, "per-request timeout (counted as an error)")
	requests := flag.Int64("requests", 0, "stop after sending this many requests in all, warm-up included (0: no limit; the duration still applies)")
	flag.Parse()
	targets := []string{*target}
	if *urlsFile != "" {
		var err error
		if *target != "" {
			err = fmt.Errorf("give --url or --urls-file, not both")
		} else {
			targets, err = readURLs(*urlsFile)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
	}
	if err := run(targets, *body, *method, headers, *concurrency, *duration, *warmup, *timeout, *requests); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
}

// readURLs reads a --urls-file: one URL a line, blank lines skipped.
func readURLs(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var urls []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			urls = append(urls, line)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s has no URLs", path)
	}
	return urls, nil
}

// checkTargets parses the targets and returns their one host: they must be
// http:// URLs of one loopback host and port (one connection pool).
func checkTargets(targets []string) (*url.URL, error) {
	var first *url.URL
	for _, t := range targets {
		u, err := url.Parse(t)
		if err != nil || u.Scheme != "http" || u.Host == "" {
			return nil, fmt.Errorf("--url must be an http:// URL, got %q", t)
		}
		if ip := net.ParseIP(u.Hostname()); u.Hostname() != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, fmt.Errorf("--url must point at a loopback address (127.0.0.1), got %q", u.Hostname())
		}
		if first == nil {
			first = u
		} else if u.Host != first.Host {
			return nil, fmt.Errorf("all URLs must be of one host: %q and %q", first.Host, u.Host)
		}
	}
	return first, nil
}

func run(targets []string, body, method string, headers []string, concurrency int, duration, warmup, timeout time.Duration, maxRequests int64) error {
	u, err := checkTargets(targets)
	if err != nil {
		return err
	}
	if concurrency < 1 || duration <= 0 || warmup < 0 || timeout <= 0 || maxRequests < 0 {
		return fmt.Errorf("--concurrency, --duration and --timeout must be positive, --requests not negative")
	}
	if method == "" {
		method = fasthttp.MethodGet
		if body != "" {
			method = fasthttp.MethodPost
		}
	}
	host := u.Host
	if u.Port() == "" {
		host += ":80"
	}

	// One connection per worker, kept alive for the whole run.
	client := &fasthttp.HostClient{
		Addr:                host,
		MaxConns:            concurrency,
		MaxIdleConnDuration: time.Minute,
		ReadTimeout:         timeout,
		WriteTimeout:        timeout,
	}

	// The request template; each worker copies it once.
	tmpl := fasthttp.AcquireRequest()
	tmpl.SetRequestURI(targets[0])
	tmpl.Header.SetMethod(method)
	if body != "" {
		tmpl.SetBodyString(body)
		tmpl.Header.SetContentType("application/json")
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(k) == "" {
			return fmt.Errorf("--header %q: write K:V", h)
		}
		tmpl.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}

	start := time.Now()
	measureFrom, stopAt := start.Add(warmup), start.Add(warmup+duration)
	// Sample our own CPU time at the start of the measured window.
	cpuAtStart := make(chan time.Duration, 1)
	time.AfterFunc(warmup, func() { cpuAtStart <- cpuTime() })
	workers := make([]worker, concurrency)
	// next numbers the requests: it hands out the targets round robin and
	// enforces --requests.
	var next atomic.Uint64
	var wg sync.WaitGroup
	for i := range workers {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			tmpl.CopyTo(req)
			w.lat = make([]time.Duration, 0, 1<<14)
			for {
				t0 := time.Now()
				if !t0.Before(stopAt) {
					return
				}
				ticket := next.Add(1) - 1
				if maxRequests > 0 && ticket >= uint64(maxRequests) {
					return
				}
				if len(targets) > 1 {
					req.SetRequestURI(targets[ticket%uint64(len(targets))])
				}
				err := client.DoTimeout(req, resp, timeout)
				t1 := time.Now()
				if err != nil {
					// Back off a little so a refused or reset connection
					// does not turn the worker into a busy loop that steals
					// the CPU the server needs.
					time.Sleep(5 * time.Millisecond)
				}
				// Count only what completes inside the measured window.
				if t1.After(stopAt) {
					w.late++ // sent before the end (see the loop's test)
					w.lateMax = max(w.lateMax, t1.Sub(t0))
					continue
				}
				if t1.Before(measureFrom) {
					continue
				}
				if err != nil {
					w.errors++
					if w.firstError == "" {
						w.firstError = err.Error()
					}
					continue
				}
				if sc := resp.StatusCode(); sc < 200 || sc > 299 {
					w.non2xx++
					if w.codes == nil {
						w.codes = map[string]int64{}
					}
					w.codes[statusCode(sc, resp.Body())]++
					if w.firstNon2xx == "" {
						b := resp.Body()
						w.firstNon2xx = fmt.Sprintf("%d %s", sc, b[:min(len(b), 300)])
					}
				}
				w.lat = append(w.lat, t1.Sub(t0))
			}
		}(&workers[i])
	}
	wg.Wait()
	cpu := cpuTime() - <-cpuAtStart

	res := result{Concurrency: concurrency, DurationS: duration.Seconds(), URLs: len(targets),
		LoadgenCPU: round(100 * cpu.Seconds() / duration.Seconds())}
	var all []time.Duration
	for i := range workers {
		w := &workers[i]
		all = append(all, w.lat...)
		res.Errors += w.errors
		res.Non2xx += w.non2xx
		res.Late += w.late
		res.LateMaxms = max(res.LateMaxms, ms(w.lateMax))
		if res.FirstError == "" {
			res.FirstError = w.firstError
		}
		if res.FirstNon2xx == "" {
			res.FirstNon2xx = w.firstNon2xx
		}
		for k, n := range w.codes {
			if res.Non2xxCodes == nil {
				res.Non2xxCodes = map[string]int64{}
			}
			res.Non2xxCodes[k] += n
		}
	}
	slices.Sort(all)
	res.Requests = int64(len(all))
	res.RPS = round(float64(len(all)) / duration.Seconds())
	res.P50ms, res.P90ms, res.P99ms = pct(all, 0.50), pct(all, 0.90), pct(all, 0.99)
	if len(all) > 0 {
		res.Maxms = ms(all[len(all)-1])
	}
	return json.NewEncoder(os.Stdout).Encode(res)
}

// statusCode names a non-2xx answer for the tally: its status and, if the
// body is a ScriptForge error, the error's code.
func statusCode(status int, body []byte) string {
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		return fmt.Sprintf("%d %s", status, e.Error.Code)
	}
	return fmt.Sprint(status)
}

// pct is the nearest-rank percentile of sorted latencies, in ms.
func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return ms(sorted[max(0, min(i, len(sorted)-1))])
}

func ms(d time.Duration) float64 { return round(float64(d) / 1e6) }

func round(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// cpuTime is the user+system CPU time of this process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
