// Package web is the browser IDE: a single-page app served by the
// gateway at /, that works through the public admin API only. Its
// sources are plain ES modules in src/, bundled with the CodeMirror
// packages pinned in npm.lock.json into dist/ by `go generate ./web/`
// (the esbuild Go API; no Node.js), and dist/ is committed and embedded.
package web

import (
	"embed"

	"github.com/scriptforge/scriptforge/web/site"
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

// Site is the IDE's page and assets.
var Site = site.Site{FS: dist, Dir: "dist", CSP: CSP}
