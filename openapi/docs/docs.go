// Package docs is the gateway's API reference page: a small HTML page and
// a script that renders an OpenAPI document (the gateway's /openapi.json,
// or a function's own) in the browser. Every asset is embedded in the
// binary and served from the gateway's origin; the page loads nothing
// from another host, so it runs under a Content-Security-Policy that
// allows its own origin only.
package docs

import (
	"embed"
	"path"
)

//go:embed assets
var assets embed.FS

// CSP is the Content-Security-Policy the page is served with: scripts,
// styles and fetches from the gateway's origin only, no inline script or
// style, no frames, no forms posting anywhere.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Asset is one embedded file with its content type.
type Asset struct {
	Body        []byte
	ContentType string
}

var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// Page is the HTML page served at /docs.
func Page() Asset { a, _ := Get("index.html"); return a }

// Get returns the asset of that name (docs.js, docs.css); false when
// there is none.
func Get(name string) (Asset, bool) {
	ct, ok := types[path.Ext(name)]
	if !ok || path.Base(name) != name {
		return Asset{}, false
	}
	b, err := assets.ReadFile("assets/" + name)
	if err != nil {
		return Asset{}, false
	}
	return Asset{Body: b, ContentType: ct}, true
}
