// Command seed fills a gateway's SQLite store with many deployed functions
// before the gateway starts, for bench/run's "100,000 functions" row:
// deploying that many over HTTP would take most of the run's budget.
//
//	seed --data-dir DIR --n 100000 --out uuids.txt
//
// Each function goes through the store's Create, as the admin API's
// POST /v1/functions does, with the settings and version the API would
// build for the App
//
//	const seed = "seed-0000000000";
//	export function main(data) { return {ok: true, n: data.n} }
//
// where the digits are the function's number, so every function has its own code
// and hash (no compile cache entry is shared). The template is transpiled
// once (engine.Transpile, as a deploy does) and the number substituted in
// its output, which has the same length, so the inline source map stays
// exact. Creates run on --concurrency goroutines; SQLite serialises the
// commits, so the data dir is best on tmpfs. The UUIDs are written to
// --out, one per line, in creation order.
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/sqlite"
)

// marker is the placeholder in the template (a string: esbuild rewrites
// number literals), replaced by the function's number in ten digits.
const marker = "seed-0000000000"

const template = "const seed = \"" + marker + "\";\nexport function main(data) { return {ok: true, n: data.n} }\n"

func main() {
	dataDir := flag.String("data-dir", "", "the gateway's data dir (its store is DIR/scriptforge.db)")
	n := flag.Int("n", 100000, "how many functions to create")
	out := flag.String("out", "", "file to write the UUIDs to, one per line")
	tenant := flag.String("tenant", "default", "tenant owning the functions")
	prefix := flag.String("name-prefix", "seed", "function names are PREFIX-<i>")
	concurrency := flag.Int("concurrency", 4, "goroutines calling Create")
	timeoutMS := flag.Int("timeout-ms", 2000, "each function's timeout (serve's --default-timeout)")
	memoryMB := flag.Int("memory-mb", 128, "each function's memory budget (serve's --default-memory)")
	flag.Parse()
	if err := run(*dataDir, *out, *tenant, *prefix, *n, *concurrency, *timeoutMS, *memoryMB); err != nil {
		fmt.Fprintln(os.Stderr, "seed:", err)
		os.Exit(1)
	}
}

func run(dataDir, out, tenant, prefix string, n, concurrency, timeoutMS, memoryMB int) error {
	if dataDir == "" || out == "" || n < 1 || n > 9999999999 || concurrency < 1 {
		return errors.New("need --data-dir, --out, 1 <= --n < 1e10 and --concurrency >= 1")
	}
	tr, err := engine.Transpile("function.js", template)
	if err != nil {
		return fmt.Errorf("transpiling the template: %w", err)
	}
	if strings.Count(tr.Code, marker) != 1 {
		return fmt.Errorf("the transpiled template has %d copies of the marker, want 1", strings.Count(tr.Code, marker))
	}
	store, err := sqlite.Open(filepath.Join(dataDir, "scriptforge.db"))
	if err != nil {
		return err
	}
	defer store.Close()

	start := time.Now()
	uuids := make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, concurrency)
	for w := range concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				num := fmt.Sprintf("seed-%010d", i)
				code := strings.Replace(tr.Code, marker, num, 1)
				sum := sha256.Sum256([]byte(code))
				v := functions.NewVersion{
					Type:      functions.TypeApp,
					Source:    strings.Replace(template, marker, num, 1),
					Code:      code,
					Hash:      hex.EncodeToString(sum[:]),
					Env:       []functions.EnvVar{},
					TimeoutMS: timeoutMS,
					MemoryMB:  memoryMB,
				}
				d, err := store.Create(context.Background(), tenant, fmt.Sprintf("%s-%d", prefix, i),
					functions.Settings{Auth: functions.AuthPublic}, v)
				if err != nil {
					errs[w] = err
					return
				}
				uuids[i] = d.UUID
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(f)
	for _, u := range uuids {
		fmt.Fprintln(bw, u)
	}
	if err := errors.Join(bw.Flush(), f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "seed: %d functions in %s (%.0f/s)\n", n, time.Since(start).Round(time.Millisecond),
		float64(n)/time.Since(start).Seconds())
	return nil
}
