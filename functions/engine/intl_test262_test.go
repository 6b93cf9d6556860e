package engine

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestTest262Intl runs test262's intl402 tests of the number formats in
// our runtime (goja has no Intl to compare with) and reports which fail.
// Like TestTest262, it runs when TEST262_DIR names a checkout.
func TestTest262Intl(t *testing.T) {
	dir := os.Getenv("TEST262_DIR")
	if dir == "" {
		t.Skip("TEST262_DIR is not set")
	}
	var files []string
	for _, sub := range []string{"NumberFormat", "PluralRules", "RelativeTimeFormat", "Number", "BigInt", "Array"} {
		_ = filepath.WalkDir(filepath.Join(dir, "test", "intl402", sub), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") && !strings.Contains(p, "_FIXTURE") {
				files = append(files, p)
			}
			return nil
		})
	}
	sort.Strings(files)
	e := New(Config{})
	ran, pass := 0, 0
	var failed []string
	for _, f := range files {
		src, meta, ok := test262Source(t, dir, f)
		if !ok {
			continue
		}
		ran++
		if got := runOurs(e, f, src); passes(got.name, meta) {
			pass++
		} else {
			failed = append(failed, strings.TrimPrefix(f, dir+"/test/intl402/")+": "+got.message)
		}
	}
	t.Logf("%d intl402 tests run; %d pass in our runtime", ran, pass)
	for _, l := range failed {
		t.Log("  ", l)
	}
}
