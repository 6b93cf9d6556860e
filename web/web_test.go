package web

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/web/inputs"
)

// TestDistIsCurrent: dist/ was built from the sources and lockfile as they
// are. It needs no network: it hashes the inputs and compares the hash
// with the one the generator stamped into dist/BUILD and app.js.
func TestDistIsCurrent(t *testing.T) {
	want, err := inputs.Hash(".")
	if err != nil {
		t.Fatal(err)
	}
	build, err := dist.ReadFile("dist/BUILD")
	if err != nil {
		t.Fatal("dist/BUILD is missing: run go generate ./web/")
	}
	got, ok := inputs.Parse(string(build))
	if !ok || got != want {
		t.Fatalf("dist/ was built from inputs %q, the sources are %q: run go generate ./web/ and commit dist/", got, want)
	}
	app, ok := Site.Get("app.js")
	if !ok || !strings.Contains(string(app.Body[:min(300, len(app.Body))]), want) {
		t.Fatal("dist/app.js does not carry the inputs' hash: run go generate ./web/")
	}
	for _, name := range []string{"index.html", "app.css", "icon.svg"} {
		src, err := os.ReadFile("src/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := dist.ReadFile("dist/" + name); string(b) != string(src) {
			t.Fatalf("dist/%s differs from src/%s: run go generate ./web/", name, name)
		}
	}
}

// TestAssets: the page is only served as the page, and names that are
// not plain asset names find nothing.
func TestAssets(t *testing.T) {
	for _, c := range []struct {
		name string
		ok   bool
		ct   string
	}{
		{"app.js", true, "text/javascript; charset=utf-8"},
		{"app.css", true, "text/css; charset=utf-8"},
		{"LICENSES.txt", true, "text/plain; charset=utf-8"},
		{"icon.svg", true, "image/svg+xml"},
		{"index.html", false, ""},
		{"BUILD", false, ""},
		{"../web.go", false, ""},
		{"dist/app.js", false, ""},
		{"nope.js", false, ""},
	} {
		a, ok := Site.Get(c.name)
		if ok != c.ok || a.ContentType != c.ct {
			t.Errorf("Get(%q) = %v, %q", c.name, ok, a.ContentType)
		}
	}
	if p := Site.Page(); !strings.HasPrefix(p.ContentType, "text/html") || len(p.Body) == 0 {
		t.Fatal("no page")
	}
}

// TestPageHasNoInlineCode: the CSP forbids inline script and style, so
// the page must not need any; and every reference is to this origin.
func TestPageHasNoInlineCode(t *testing.T) {
	html := string(Site.Page().Body)
	if regexp.MustCompile(`(?is)<script[^>]*>\s*[^<\s]`).MatchString(html) ||
		regexp.MustCompile(`(?i)\sstyle\s*=|<style|\son[a-z]+\s*=|javascript:`).MatchString(html) {
		t.Fatal("the page has inline script, style or event handlers")
	}
	for _, m := range regexp.MustCompile(`(?i)\b(?:src|href|action)\s*=\s*["']([^"']*)["']`).FindAllStringSubmatch(html, -1) {
		if !strings.HasPrefix(m[1], "/") || strings.HasPrefix(m[1], "//") {
			t.Errorf("the page references %q, not a path of this origin", m[1])
		}
	}
}
