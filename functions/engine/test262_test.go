package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/scriptforge/scriptforge/functions"
)

// TestTest262 runs the official ECMAScript conformance suite's tests of
// the built-ins our guards wrap, in bare goja and in our runtime, and
// reports how many of those bare goja passes also pass through ours. CI
// has no copy of the suite: it runs when TEST262_DIR names a checkout
// (`fetch` can bring tc39/test262 here), e.g.
//
//	TEST262_DIR=/path/to/test262 go test ./functions/engine -run TestTest262 -v
//
// What it finds becomes regression tests of our own
// (guards_standard_test.go), which CI runs. Module and async tests are
// left out; each test runs once, strict only if it says onlyStrict.
// TEST262_DIRS (a comma-separated list under test/built-ins) runs others.
//
// TEST262_INTL (a list under test/intl402, e.g. Collator,NumberFormat,
// DateTimeFormat) runs ECMA-402's tests instead. Bare goja has no Intl,
// so the baseline there is Node.js (TZ=UTC, as our sandbox): of the tests
// node passes, how many pass through our runtime.
func TestTest262(t *testing.T) {
	dir := os.Getenv("TEST262_DIR")
	if dir == "" {
		t.Skip("TEST262_DIR is not set")
	}
	root, dirs, baseline := "built-ins", test262Dirs, "bare goja"
	if more := os.Getenv("TEST262_DIRS"); more != "" { // other built-ins, e.g. RegExp/prototype,String/prototype/split
		dirs = strings.Split(more, ",")
	}
	base := runBare
	if intl := os.Getenv("TEST262_INTL"); intl != "" {
		node := nodeOrSkip(t)
		root, dirs, baseline = "intl402", strings.Split(intl, ","), "node"
		base = func(src string) string { return runNode(node, src) }
	}
	var files []string
	for _, sub := range dirs {
		_ = filepath.WalkDir(filepath.Join(dir, "test", root, sub), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".js") && !strings.Contains(p, "_FIXTURE") {
				files = append(files, p)
			}
			return nil
		})
	}
	sort.Strings(files)
	e := New(Config{})
	basePass, both := 0, 0
	var lost []string
	for _, f := range files {
		src, meta, ok := test262Source(t, dir, f)
		if !ok {
			continue
		}
		if !passes(base(src), meta) {
			continue
		}
		basePass++
		if got := runOurs(e, f, src); passes(got.name, meta) {
			both++
		} else {
			lost = append(lost, strings.TrimPrefix(f, dir+"/test/"+root+"/")+": "+got.message)
		}
	}
	t.Logf("%d tests; %s passes %d; our runtime passes %d of those (%d fail only through it)", len(files), baseline, basePass, both, len(lost))
	for _, l := range lost {
		t.Log("  ", l)
	}
}

// runNode runs a test in node and names the error it ends with ("" for
// none).
func runNode(node, src string) string {
	cmd := exec.Command(node, "-e", withMain(src))
	cmd.Env = append(os.Environ(), "TZ=UTC")
	out, err := cmd.CombinedOutput()
	if err == nil {
		return ""
	}
	for _, l := range strings.Split(string(out), "\n") {
		if m := errNameRE.FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			return m[1]
		}
	}
	return "Error"
}

// test262Dirs are the built-ins the guards wrap (under test/built-ins).
var test262Dirs = []string{
	"String/prototype/repeat", "String/prototype/padStart", "String/prototype/padEnd", "String/prototype/concat",
	"String/prototype/match", "String/prototype/matchAll", "String/prototype/search",
	"Array/prototype/fill", "Array/prototype/join", "Array/prototype/concat", "Array/from",
	"Function", "ArrayBuffer", "JSON", "Reflect/apply", "Reflect/construct", "TypedArrayConstructors", "eval", "global",
	"Date/prototype/toLocaleString", "Date/prototype/toLocaleDateString", "Date/prototype/toLocaleTimeString",
}

type test262Meta struct {
	negativeType string // the error a negative test expects, or ""
}

var (
	frontmatterRE = regexp.MustCompile(`(?s)/\*---(.*?)---\*/`)
	includesRE    = regexp.MustCompile(`includes:\s*\[([^\]]*)\]`)
	flagsRE       = regexp.MustCompile(`flags:\s*\[([^\]]*)\]`)
	negativeRE    = regexp.MustCompile(`(?s)negative:\s*\n\s*phase:\s*(\w+)\s*\n\s*type:\s*(\w+)`)
)

// test262Source is a test with the harness files it needs; false for the
// kinds this runner leaves out.
func test262Source(t *testing.T, dir, file string) (string, test262Meta, bool) {
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	fm := frontmatterRE.FindStringSubmatch(src)
	if fm == nil {
		return "", test262Meta{}, false
	}
	var flags []string
	if m := flagsRE.FindStringSubmatch(fm[1]); m != nil {
		flags = splitList(m[1])
	}
	strict := false
	for _, f := range flags {
		switch f {
		case "module", "async", "raw", "CanBlockIsTrue":
			return "", test262Meta{}, false
		case "onlyStrict":
			strict = true
		}
	}
	includes := []string{"assert.js", "sta.js"}
	if m := includesRE.FindStringSubmatch(fm[1]); m != nil {
		includes = append(includes, splitList(m[1])...)
	}
	var sb strings.Builder
	if strict {
		sb.WriteString("\"use strict\";\n")
	}
	for _, inc := range includes {
		h, err := os.ReadFile(filepath.Join(dir, "harness", inc))
		if err != nil {
			return "", test262Meta{}, false
		}
		sb.Write(h)
		sb.WriteString("\n")
	}
	sb.WriteString(src)
	var meta test262Meta
	if m := negativeRE.FindStringSubmatch(fm[1]); m != nil {
		meta.negativeType = m[2]
	}
	return sb.String(), meta, true
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// passes: no error, or the error a negative test expects (errName is the
// thrown error's name, "" when the run succeeded).
func passes(errName string, meta test262Meta) bool {
	if meta.negativeType != "" {
		return errName == meta.negativeType
	}
	return errName == ""
}

var errNameRE = regexp.MustCompile(`^(?:Uncaught )?(\w*Error|Test262Error)\b`)

func runBare(src string) (name string) {
	defer func() {
		if p := recover(); p != nil {
			name = fmt.Sprintf("panic(%.60v)", p) // goja's own bug: no test counts it as a pass
		}
	}()
	vm := goja.New()
	_ = vm.Set("print", func(goja.FunctionCall) goja.Value { return goja.Undefined() })
	_ = vm.Set("exports", vm.NewObject())
	timer := time.AfterFunc(5*time.Second, func() { vm.Interrupt("timeout") })
	defer timer.Stop()
	_, err := vm.RunString(withMain(src))
	return errName(err)
}

// withMain is the test as an App: the same text for bare goja and for us
// (goja's parser reads some code differently when more follows it).
func withMain(src string) string { return src + "\n;exports.main = function () { return 1 };\n" }

type ourResult struct{ name, message string }

func runOurs(e *Engine, file, src string) ourResult {
	code := withMain(src) + "function print() {}\n" // hoisted, and after any "use strict" prologue
	sum := sha256.Sum256([]byte(code))
	inv := &functions.Invocation{
		RequestID: "t262", Function: functions.FunctionInfo{ID: "t262", Tenant: "t262", Name: filepath.Base(file), Version: 1},
		Type: functions.TypeApp, Code: code, Hash: hex.EncodeToString(sum[:]), Timeout: 5 * time.Second, MemoryMB: 256,
		Data: []byte(`{}`), FreshRuntime: true,
	}
	_, err := e.Execute(context.Background(), inv)
	if err == nil {
		return ourResult{}
	}
	msg := err.Error()
	if re, ok := err.(*functions.RunError); ok {
		msg = re.Message
	}
	return ourResult{errName(err), fmt.Sprintf("%.160s", msg)}
}

func errName(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if re, ok := err.(*functions.RunError); ok {
		msg = re.Message
	}
	if _, ok := err.(*goja.CompilerSyntaxError); ok || strings.Contains(msg, "SyntaxError") && !strings.Contains(msg, ": ") {
		return "SyntaxError"
	}
	if m := errNameRE.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return fmt.Sprintf("other(%.60s)", msg)
}
