// Package web is the browser IDE: a single-page app served by the
// gateway at /, that works through the public admin API only. Its
// sources are plain ES modules in src/, bundled with the CodeMirror
// packages pinned in npm.lock.json into dist/ by `go generate ./web/`
// (the esbuild Go API; no Node.js), and dist/ is committed and embedded.
package web

import (
	"embed"
	"path"
)

//go:generate go run ./gen

//go:embed dist
var dist embed.FS

// CSP is the Content-Security-Policy of every response of the app: its
// own origin only, no inline script, no frames, no forms posting
// anywhere. img-src allows data: for CodeMirror's and the page's small
// inline SVG icons.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Asset is one embedded file with its content type.
type Asset struct {
	Body        []byte
	ContentType string
}

var types = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
	".svg":  "image/svg+xml",
}

// Page is the HTML page, served at /.
func Page() Asset { a, _ := get("index.html"); return a }

// Get returns an asset of the page (app.js, app.css, icon.svg, LICENSES.txt);
// false for any other name, the page itself included.
func Get(name string) (Asset, bool) {
	if name == "index.html" {
		return Asset{}, false
	}
	return get(name)
}

func get(name string) (Asset, bool) {
	ct, ok := types[path.Ext(name)]
	if !ok || path.Base(name) != name {
		return Asset{}, false
	}
	b, err := dist.ReadFile("dist/" + name)
	if err != nil {
		return Asset{}, false
	}
	return Asset{Body: b, ContentType: ct}, true
}
