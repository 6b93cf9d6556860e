// Package docs is the gateway's API reference page: a small HTML page and
// a script that renders an OpenAPI document (the gateway's /openapi.json,
// or a function's own) in the browser. Every asset is embedded in the
// binary and served from the gateway's origin; the page loads nothing
// from another host, so it runs under a Content-Security-Policy that
// allows its own origin only.
package docs

import (
	"embed"

	"github.com/scriptforge/scriptforge/web/site"
)

//go:embed assets
var assets embed.FS

// CSP is the Content-Security-Policy the page is served with: scripts,
// styles and fetches from the gateway's origin only, no inline script or
// style, no frames, no forms posting anywhere.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Site is the reference page and its assets (docs.js, docs.css).
var Site = site.Site{FS: assets, Dir: "assets", CSP: CSP}
