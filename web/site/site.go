// Package site holds what the gateway's own pages (the IDE at /, the
// API reference at /docs) share: a page and its assets embedded in the
// binary, each served with its content type under the page's
// Content-Security-Policy.
package site

import (
	"embed"
	"path"
)

// Site is a page (index.html) and its assets in one directory of an
// embedded file system.
type Site struct {
	FS  embed.FS
	Dir string
	// CSP is the Content-Security-Policy of every response of the site.
	CSP string
}

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

// Page is the site's HTML page.
func (s Site) Page() Asset { a, _ := s.get("index.html"); return a }

// Get returns the asset of that name; false for any other name, a path
// or the page itself (served only as the page).
func (s Site) Get(name string) (Asset, bool) {
	if name == "index.html" {
		return Asset{}, false
	}
	return s.get(name)
}

func (s Site) get(name string) (Asset, bool) {
	ct, ok := types[path.Ext(name)]
	if !ok || path.Base(name) != name {
		return Asset{}, false
	}
	b, err := s.FS.ReadFile(s.Dir + "/" + name)
	if err != nil {
		return Asset{}, false
	}
	return Asset{Body: b, ContentType: ct}, true
}
