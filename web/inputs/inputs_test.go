package inputs

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHash: the hash follows every byte and name of the inputs, and
// nothing else.
func TestHash(t *testing.T) {
	write := func(dir string, files map[string]string) {
		for name, body := range files {
			p := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	base := map[string]string{"src/main.js": "a", "src/app.css": "b", Lockfile: "{}"}
	hashOf := func(change map[string]string) string {
		dir := t.TempDir()
		write(dir, base)
		write(dir, change)
		h, err := Hash(dir)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	want := hashOf(nil)
	for _, c := range []struct {
		name   string
		change map[string]string
		same   bool
	}{
		{"a source changes", map[string]string{"src/main.js": "a2"}, false},
		{"the lockfile changes", map[string]string{Lockfile: "{ }"}, false},
		{"a source is added", map[string]string{"src/x/y.js": ""}, false},
		{"bytes move between files", map[string]string{"src/main.js": "ab", "src/app.css": ""}, false},
		{"the generator changes", map[string]string{"gen/main.go": "package main"}, false},
		{"a generator test changes", map[string]string{"gen/x_test.go": "package main"}, true},
		{"dist changes", map[string]string{"dist/app.js": "x"}, true},
		{"a file beside src changes", map[string]string{"web.go": "package web"}, true},
	} {
		if got := hashOf(c.change); (got == want) != c.same {
			t.Errorf("%s: hash %s, base %s", c.name, got, want)
		}
	}
	if _, err := Hash(t.TempDir()); err == nil {
		t.Error("no src/: no error")
	}
	if h, ok := Parse("x\n" + Stamp(want)); !ok || h != want {
		t.Errorf("Parse(Stamp) = %q, %v", h, ok)
	}
	if _, ok := Parse("nothing"); ok {
		t.Error("Parse of no stamp")
	}
}
