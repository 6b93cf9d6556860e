// Command firstcall measures, for bench/run, what the first call of a
// freshly deployed function costs (the sandbox compiles, loads and runs
// it) against a warm call of a function that has already run.
//
//	firstcall --gateway http://127.0.0.1:8080 --key KEY --n 60 --size 10240
//
// It deploys --n distinct Apps of about --size bytes each through the admin
// API (POST /v1/functions; not timed), plus one more that it calls a few
// times to warm it. Then, one request at a time on one kept-alive
// connection, it alternates: the first call of the next fresh function,
// then a call of the warm one, so both see the same machine. It prints one
// JSON line with the percentiles of each kind, in ms, as the client saw
// them:
//
//	{"n":60,"size":10321,"first_p50_ms":1.9,"first_p90_ms":2.6,"warm_p50_ms":0.4,"warm_p90_ms":0.6}
//
// Every answer must be 200 with the expected JSON, or it fails.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

type report struct {
	N          int     `json:"n"`
	Size       int     `json:"size"`
	FirstP50ms float64 `json:"first_p50_ms"`
	FirstP90ms float64 `json:"first_p90_ms"`
	WarmP50ms  float64 `json:"warm_p50_ms"`
	WarmP90ms  float64 `json:"warm_p90_ms"`
	DeployP50  float64 `json:"deploy_p50_ms"`
}

func main() {
	gateway := flag.String("gateway", "", "the gateway's base URL (loopback), e.g. http://127.0.0.1:8080")
	key := flag.String("key", "", "an API key with functions:write")
	n := flag.Int("n", 50, "how many fresh functions to deploy and call once each")
	size := flag.Int("size", 10240, "each function's source size in bytes (at least)")
	prefix := flag.String("name-prefix", "firstcall", "function names are PREFIX-<i>")
	flag.Parse()
	r, err := run(*gateway, *key, *prefix, *n, *size)
	if err == nil {
		err = json.NewEncoder(os.Stdout).Encode(r)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "firstcall:", err)
		os.Exit(1)
	}
}

// source returns App number i: helper functions that hash a string, about
// size bytes in all, each carrying i so no two Apps compile alike; main
// calls a few of them.
func source(i, size int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// App %d of bench/firstcall: about %d bytes of code to compile.\n", i, size)
	k := 0
	for ; b.Len() < size-100; k++ { // main adds more than 100 bytes
		fmt.Fprintf(&b, `function step%d(x, s) {
  let acc = %d;
  for (let j = 0; j < s.length; j++) {
    acc = (acc * 31 + s.charCodeAt(j) + x) %% 65521;
  }
  return acc.toString(16) + "-%d-%d";
}
`, k, k, i, k)
	}
	fmt.Fprintf(&b, `export function main(data) {
  const r = step0(data.n, "route") + step%d(data.n, "egress");
  return {ok: true, n: data.n, r: r};
}
`, k-1)
	return b.String()
}

func run(gateway, key, prefix string, n, size int) (report, error) {
	u, err := url.Parse(gateway)
	if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
		return report{}, fmt.Errorf("--gateway must be an http://127.0.0.1 URL, got %q", gateway)
	}
	if n < 1 || size < 500 {
		return report{}, errors.New("need --n >= 1 and --size >= 500")
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
	deploy := func(i int) (string, time.Duration, error) {
		body, _ := json.Marshal(map[string]string{"name": fmt.Sprintf("%s-%d", prefix, i), "type": "app", "source": source(i, size)})
		req, _ := http.NewRequest(http.MethodPost, gateway+"/v1/functions", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		t0 := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return "", 0, err
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return "", 0, fmt.Errorf("deploy %d: %d %s", i, resp.StatusCode, raw)
		}
		var d struct{ UUID string }
		if err := json.Unmarshal(raw, &d); err != nil || d.UUID == "" {
			return "", 0, fmt.Errorf("deploy %d: no uuid in %s", i, raw)
		}
		return d.UUID, time.Since(t0), nil
	}
	call := func(uuid string) (time.Duration, error) {
		t0 := time.Now()
		resp, err := client.Post(gateway+"/v1/fn/"+uuid, "application/json", strings.NewReader(`{"n":42}`))
		if err != nil {
			return 0, err
		}
		raw, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t0)
		if err != nil {
			return 0, err
		}
		if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"ok":true`)) || !bytes.Contains(raw, []byte(`"n":42`)) {
			return 0, fmt.Errorf("calling %s: %d %s", uuid, resp.StatusCode, raw)
		}
		return d, nil
	}

	uuids := make([]string, n+1)
	var deploys []time.Duration
	for i := range uuids {
		var d time.Duration
		if uuids[i], d, err = deploy(i); err != nil {
			return report{}, err
		}
		deploys = append(deploys, d)
	}
	warm := uuids[n]
	for range 20 {
		if _, err := call(warm); err != nil {
			return report{}, err
		}
	}
	var first, again []time.Duration
	for _, id := range uuids[:n] {
		d, err := call(id)
		if err != nil {
			return report{}, err
		}
		first = append(first, d)
		if d, err = call(warm); err != nil {
			return report{}, err
		}
		again = append(again, d)
	}
	return report{
		N: n, Size: len(source(0, size)),
		FirstP50ms: pct(first, 0.5), FirstP90ms: pct(first, 0.9),
		WarmP50ms: pct(again, 0.5), WarmP90ms: pct(again, 0.9),
		DeployP50: pct(deploys, 0.5),
	}, nil
}

// pct is the nearest-rank percentile, in ms.
func pct(ds []time.Duration, p float64) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := max(0, min(len(s)-1, int(math.Ceil(p*float64(len(s))))-1))
	return math.Round(float64(s[i].Microseconds())) / 1000
}
