package gateway_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/openapi/docs"
)

// TestDocsPage: /docs and its assets are served with the strict CSP, and
// the page references nothing but assets of this origin: no CDN, no
// inline script or style the CSP would block anyway.
func TestDocsPage(t *testing.T) {
	s := startServer(t, t.TempDir())
	page := s.do("GET", "/docs", nil, nil)
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("/docs: %d %s", page.status, page.header.Get("Content-Type"))
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Fatalf("CSP %q allows more than this origin", csp)
	}
	html := string(page.body)
	refs := regexp.MustCompile(`(?i)\b(?:src|href|action)\s*=\s*["']([^"']*)["']`).FindAllStringSubmatch(html, -1)
	if len(refs) < 2 {
		t.Fatalf("found %d references in the page", len(refs))
	}
	var assets []string
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("the page references %q, not a path of this origin", ref)
		}
		if strings.HasPrefix(ref, "/docs/") {
			assets = append(assets, ref)
		}
	}
	if regexp.MustCompile(`(?is)<script[^>]*>\s*[^<\s]`).MatchString(html) || regexp.MustCompile(`(?i)\sstyle\s*=|<style|\son[a-z]+\s*=`).MatchString(html) {
		t.Fatal("the page has inline script, style or event handlers")
	}
	for _, a := range assets {
		r := s.do("GET", a, nil, nil)
		if r.status != 200 || r.header.Get("Content-Security-Policy") != docs.CSP {
			t.Fatalf("%s: %d, CSP %q", a, r.status, r.header.Get("Content-Security-Policy"))
		}
		// The script talks to this origin only.
		if regexp.MustCompile(`(?i)https?://|//[a-z0-9.-]+\.[a-z]{2,}/`).Match(r.body) {
			t.Fatalf("%s mentions another host", a)
		}
	}
	if len(assets) != 2 {
		t.Fatalf("assets %q, want the script and the style sheet", assets)
	}
	for _, bad := range []string{"/docs/nope.js", "/docs/index.html", "/docs/..%2fdocs.go"} {
		if r := s.do("GET", bad, nil, nil); r.status != http.StatusNotFound {
			t.Fatalf("%s: %d", bad, r.status)
		}
	}
}
