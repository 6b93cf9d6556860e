package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestTest262DateTimeFormat runs test262's tests of Intl.DateTimeFormat
// and of Date.prototype.toLocale* (test/intl402) in Node.js and in our
// runtime, and reports how many of those Node passes pass here too. Like
// TestTest262 it needs TEST262_DIR (a checkout of tc39/test262) and node.
// Tests of features we leave out (Temporal, other calendars) fail here.
func TestTest262DateTimeFormat(t *testing.T) {
	dir := os.Getenv("TEST262_DIR")
	if dir == "" {
		t.Skip("TEST262_DIR is not set")
	}
	node := nodeOrSkip(t)
	var files []string
	for _, sub := range []string{"DateTimeFormat", "Date"} {
		_ = filepath.WalkDir(filepath.Join(dir, "test", "intl402", sub), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") && !strings.Contains(p, "_FIXTURE") {
				files = append(files, p)
			}
			return nil
		})
	}
	sort.Strings(files)
	e := New(Config{})
	nodePass, both := 0, 0
	var lost []string
	for _, f := range files {
		src, meta, ok := test262Source(t, dir, f)
		if !ok {
			continue
		}
		cmd := exec.Command(node, "-e", src)
		cmd.Env = append(os.Environ(), "TZ=UTC")
		out, err := cmd.CombinedOutput()
		name := ""
		if err != nil {
			name = "Error"
			if m := errNameRE.FindStringSubmatch(lastErrorLine(string(out))); m != nil {
				name = m[1]
			}
		}
		if !passes(name, meta) {
			continue
		}
		nodePass++
		if got := runOurs(e, f, src); passes(got.name, meta) {
			both++
		} else {
			lost = append(lost, strings.TrimPrefix(f, dir+"/test/intl402/")+": "+got.message)
		}
	}
	t.Logf("%d tests; node passes %d; our runtime passes %d of those", len(files), nodePass, both)
	for _, l := range lost {
		t.Log("  ", l)
	}
}

// lastErrorLine is the line of node's output that names the error.
func lastErrorLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if m := errNameRE.FindString(strings.TrimSpace(l)); m != "" {
			return strings.TrimSpace(l)
		}
	}
	return ""
}
