package gateway_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/web"
)

// TestWebPage: the IDE's page and every asset it references come with the
// strict CSP and nosniff; the page has no inline code; and the IDE's
// routes shadow none of the API's.
func TestWebPage(t *testing.T) {
	s := startServer(t, t.TempDir())
	page := s.do("GET", "/", nil, nil)
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") {
		t.Fatalf("/: %d %s", page.status, page.header.Get("Content-Type"))
	}
	csp := page.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "connect-src 'self'",
		"img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'", "object-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Fatalf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-") || strings.Contains(csp, "http") || strings.Contains(csp, "*") {
		t.Fatalf("CSP %q allows more than this origin", csp)
	}
	html := string(page.body)
	if regexp.MustCompile(`(?is)<script[^>]*>\s*[^<\s]`).MatchString(html) || regexp.MustCompile(`(?i)\sstyle\s*=|<style|\son[a-z]+\s*=`).MatchString(html) {
		t.Fatal("the page has inline script, style or event handlers")
	}
	refs := regexp.MustCompile(`(?i)\b(?:src|href)\s*=\s*["'](/ide/[^"']*)["']`).FindAllStringSubmatch(html, -1)
	if len(refs) != 3 {
		t.Fatalf("the page references %d assets, want the script, the style sheet and the icon", len(refs))
	}
	assets := []string{"/", "/ide/LICENSES.txt"}
	for _, m := range refs {
		assets = append(assets, m[1])
	}
	for _, a := range assets {
		r := s.do("GET", a, nil, nil)
		if r.status != 200 || r.header.Get("Content-Security-Policy") != web.CSP || r.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Fatalf("%s: %d, CSP %q, nosniff %q", a, r.status, r.header.Get("Content-Security-Policy"), r.header.Get("X-Content-Type-Options"))
		}
	}
	for _, c := range []struct {
		path   string
		status int
		ctype  string
	}{
		{"/ide/index.html", 404, "application/json"},
		{"/ide/BUILD", 404, "application/json"},
		{"/ide/nope.js", 404, "application/json"},
		{"/ide/..%2fweb.go", 404, "application/json"},
		{"/nope", 404, "application/json"},
		{"/v1/functions", 401, "application/json"},
		{"/healthz", 200, "application/json"},
		{"/docs", 200, "text/html"},
		{"/openapi.json", 200, "application/json"},
		{"/metrics", 200, "text/plain"},
	} {
		r := s.do("GET", c.path, nil, nil)
		if r.status != c.status || !strings.HasPrefix(r.header.Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %s, want %d %s", c.path, r.status, r.header.Get("Content-Type"), c.status, c.ctype)
		}
	}
	if r := s.do("POST", "/", nil, nil); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /: %d", r.status)
	}
}
