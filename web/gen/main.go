// Command gen builds the IDE's bundle into ../dist: it downloads the npm
// packages pinned in npm.lock.json (each checked against its sha512
// integrity by the registry package the function bundles use), bundles
// src/main.js with them through the esbuild Go API, copies the page and
// its style sheet, and stamps dist/BUILD with the hash of the inputs.
// With -update it first pins the latest versions of the lockfile's roots
// and of everything they depend on, one version per package.
//
//	go generate ./web/               # rebuild from the pins
//	go run ./web/gen -update         # pin the latest, then rebuild
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/scriptforge/scriptforge/functions/engine/npm/registry"
	"github.com/scriptforge/scriptforge/web/inputs"
)

// lockfile pins every package the bundle may contain. Roots are the
// packages src/ imports; Packages is their closure.
type lockfile struct {
	Roots    []string       `json:"roots"`
	Packages []registry.Pin `json:"packages"`
}

func main() {
	update := flag.Bool("update", false, "pin the latest versions of the roots and their dependencies before building")
	flag.Parse()
	if err := run(*update); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(update bool) error {
	var lock lockfile
	b, err := os.ReadFile(inputs.Lockfile)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return fmt.Errorf("%s: %w", inputs.Lockfile, err)
	}
	if update {
		if lock.Packages, err = resolve(lock.Roots); err != nil {
			return err
		}
		b, _ := json.MarshalIndent(lock, "", "  ")
		if err := os.WriteFile(inputs.Lockfile, append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	hash, err := inputs.Hash(".")
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "scriptforge-web-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	modules := filepath.Join(work, "node_modules")
	var licenses strings.Builder
	licenses.WriteString("Licenses of the npm packages bundled into the ScriptForge IDE (see web/npm.lock.json).\n")
	for _, p := range lock.Packages {
		license, err := registry.Fetch(p, filepath.Join(modules, filepath.FromSlash(p.Name)))
		if err != nil {
			return err
		}
		fmt.Fprintf(&licenses, "\n==== %s@%s (%s) ====\n\n%s\n", p.Name, p.Version, p.License, strings.TrimSpace(license))
	}
	code, err := bundle(modules, hash)
	if err != nil {
		return err
	}
	out := map[string][]byte{"app.js": code, "LICENSES.txt": []byte(licenses.String()), "BUILD": []byte(inputs.Stamp(hash))}
	for _, name := range []string{"index.html", "app.css", "icon.svg"} {
		if out[name], err = os.ReadFile(filepath.Join("src", name)); err != nil {
			return err
		}
	}
	if err := os.RemoveAll("dist"); err != nil {
		return err
	}
	if err := os.MkdirAll("dist", 0o755); err != nil {
		return err
	}
	for name, body := range out {
		if err := os.WriteFile(filepath.Join("dist", name), body, 0o644); err != nil {
			return err
		}
		fmt.Printf("wrote dist/%-12s %7d bytes\n", name, len(body))
	}
	return nil
}

// bundle builds src/main.js and everything it imports into one minified
// ES module. Packages resolve from modules only, which holds the pins
// and nothing else: an import of anything unpinned fails the build.
func bundle(modules, hash string) ([]byte, error) {
	wd, err := os.Getwd()
	if err != nil {
		return nil, err
	}
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     wd,
		EntryPoints:       []string{filepath.Join("src", "main.js")},
		Bundle:            true,
		Format:            api.FormatESModule,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2020,
		NodePaths:         []string{modules},
		MinifyWhitespace:  true,
		MinifySyntax:      true,
		MinifyIdentifiers: true,
		LegalComments:     api.LegalCommentsNone,
		Banner:            map[string]string{"js": "/* ScriptForge IDE: built by go generate ./web/ from inputs sha256 " + hash + "; licenses in LICENSES.txt */"},
		Write:             false,
		Outfile:           "app.js",
		LogLevel:          api.LogLevelSilent,
		Charset:           api.CharsetUTF8,
	})
	if len(res.Errors) > 0 {
		e := res.Errors[0]
		where := ""
		if e.Location != nil {
			where = fmt.Sprintf("%s:%d:%d: ", e.Location.File, e.Location.Line, e.Location.Column)
		}
		return nil, fmt.Errorf("esbuild: %s%s", where, e.Text)
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("esbuild wrote %d files, want 1", len(res.OutputFiles))
	}
	return res.OutputFiles[0].Contents, nil
}

const registryURL = "https://registry.npmjs.org/"

// meta is the part of a registry's version document we read.
type meta struct {
	Name         string            `json:"name"`
	Version      string            `json:"version"`
	License      string            `json:"license"`
	Dependencies map[string]string `json:"dependencies"`
	Dist         struct {
		Tarball   string `json:"tarball"`
		Integrity string `json:"integrity"`
	} `json:"dist"`
}

// resolve pins the latest version of each root and, breadth first, of
// each dependency, and checks that every range asking for a package is
// met by the one version pinned (a flat node_modules, as the bundle
// resolves it).
func resolve(roots []string) ([]registry.Pin, error) {
	pinned := map[string]meta{}
	type want struct{ from, name, rng string }
	var wants []want
	queue := append([]string(nil), roots...)
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if _, ok := pinned[name]; ok {
			continue
		}
		b, err := registry.Download(registryURL + name + "/latest")
		if err != nil {
			return nil, err
		}
		var m meta
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("%s: registry answer: %w", name, err)
		}
		if m.Dist.Integrity == "" || m.Dist.Tarball == "" {
			return nil, fmt.Errorf("%s@%s: the registry gives no tarball or integrity", name, m.Version)
		}
		pinned[name] = m
		fmt.Printf("pinned %s@%s\n", name, m.Version)
		for dep, rng := range m.Dependencies {
			wants = append(wants, want{name, dep, rng})
			queue = append(queue, dep)
		}
	}
	for _, w := range wants {
		if !satisfies(pinned[w.name].Version, w.rng) {
			return nil, fmt.Errorf("%s wants %s@%s, but the latest is %s: pin by hand", w.from, w.name, w.rng, pinned[w.name].Version)
		}
	}
	names := make([]string, 0, len(pinned))
	for n := range pinned {
		names = append(names, n)
	}
	sort.Strings(names)
	pins := make([]registry.Pin, 0, len(names))
	for _, n := range names {
		m := pinned[n]
		pins = append(pins, registry.Pin{Name: n, Version: m.Version, Resolved: m.Dist.Tarball, Integrity: m.Dist.Integrity, License: m.License})
	}
	return pins, nil
}
