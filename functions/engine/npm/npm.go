// Package npm holds the npm libraries Apps may require (dayjs and its
// plugins, papaparse) and those the runtime itself is built on
// (web-streams-polyfill, for the stream globals), bundled at `go generate` time from versions pinned
// with their integrity in npm.lock.json, and embedded with their licenses.
// Builds need no network and no Node.js; the engine compiles each bundle
// once per process.
package npm

//go:generate go run ./gen

import (
	"embed"
	"encoding/json"
	"sort"
	"strings"
	"sync"
)

//go:embed modules.json bundles/*.js bundles/LICENSES.txt
var files embed.FS

// Module is a bundled name: the package and file it is bundled from,
// the Node modules it may ask for but is not given (the bundle's require
// throws for them), whether it needs the engine's Intl, and whether it is
// the runtime's own (internal: never require-able by a function).
type Module struct {
	Package  string   `json:"package"`
	Entry    string   `json:"entry"`
	External []string `json:"external,omitempty"`
	Intl     bool     `json:"intl,omitempty"`
	Internal bool     `json:"internal,omitempty"`
}

// Modules is the table of bundled names, internal ones included.
func Modules() map[string]Module { return modules() }

var modules = sync.OnceValue(func() map[string]Module {
	b, err := files.ReadFile("modules.json")
	if err != nil {
		panic(err)
	}
	var m map[string]Module
	if err := json.Unmarshal(b, &m); err != nil {
		panic("npm: modules.json: " + err.Error())
	}
	return m
})

// BundleFile is where the bundle of a require-name is kept.
func BundleFile(name string) string {
	return "bundles/" + strings.ReplaceAll(name, "/", "__") + ".js"
}

// Source is the bundled CommonJS code of a bundled name.
func Source(name string) (string, bool) {
	if _, ok := Modules()[name]; !ok {
		return "", false
	}
	b, err := files.ReadFile(BundleFile(name))
	return string(b), err == nil
}

// Names lists the require-names (not the internal ones), sorted.
func Names() []string {
	m := Modules()
	names := make([]string, 0, len(m))
	for n, mod := range m {
		if !mod.Internal {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Licenses is the license text of every bundled package.
func Licenses() string {
	b, _ := files.ReadFile("bundles/LICENSES.txt")
	return string(b)
}
