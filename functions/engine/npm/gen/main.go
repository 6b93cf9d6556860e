// Command gen bundles the pinned npm packages of npm.lock.json into
// ../bundles: it downloads each tarball, checks it against the lockfile's
// sha512 integrity, and bundles every name of modules.json with esbuild
// into one self-contained CommonJS file. With -update it first pins the
// registry's latest versions.
//
//	go generate ./functions/engine/npm/            # rebuild from the pins
//	go run ./functions/engine/npm/gen -update      # pin the latest, then rebuild
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/evanw/esbuild/pkg/api"

	"github.com/scriptforge/scriptforge/functions/engine/npm"
	"github.com/scriptforge/scriptforge/functions/engine/npm/registry"
)

const registryURL = "https://registry.npmjs.org/"

type lockfile struct {
	Packages []registry.Pin `json:"packages"`
}

func main() {
	update := flag.Bool("update", false, "pin the latest version of every package before bundling")
	flag.Parse()
	if err := run(*update); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(update bool) error {
	var lock lockfile
	if err := readJSON("npm.lock.json", &lock); err != nil {
		return err
	}
	modules := map[string]npm.Module{}
	if err := readJSON("modules.json", &modules); err != nil {
		return err
	}
	if update {
		for i, p := range lock.Packages {
			latest, err := latestPin(p.Name)
			if err != nil {
				return err
			}
			fmt.Printf("pinned %s@%s (was %s)\n", latest.Name, latest.Version, p.Version)
			lock.Packages[i] = latest
		}
		b, _ := json.MarshalIndent(lock, "", "  ")
		if err := os.WriteFile("npm.lock.json", append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	work, err := os.MkdirTemp("", "scriptforge-npm-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)

	var licenses strings.Builder
	licenses.WriteString("Licenses of the npm packages bundled into ScriptForge (see npm.lock.json).\n")
	for _, p := range lock.Packages {
		license, err := registry.Fetch(p, filepath.Join(work, "node_modules", p.Name))
		if err != nil {
			return err
		}
		fmt.Fprintf(&licenses, "\n==== %s@%s (%s) ====\n\n%s\n", p.Name, p.Version, p.License, strings.TrimSpace(license))
	}

	if err := os.MkdirAll("bundles", 0o755); err != nil {
		return err
	}
	names := make([]string, 0, len(modules))
	for n := range modules {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		m := modules[name]
		code, err := bundle(work, m)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if err := os.WriteFile(npm.BundleFile(name), code, 0o644); err != nil {
			return err
		}
		fmt.Printf("bundled %-32s %7d bytes\n", name, len(code))
	}
	return os.WriteFile("bundles/LICENSES.txt", []byte(licenses.String()), 0o644)
}

func readJSON(file string, v any) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return nil
}

func latestPin(name string) (registry.Pin, error) {
	b, err := registry.Download(registryURL + name + "/latest")
	if err != nil {
		return registry.Pin{}, err
	}
	var meta struct {
		Version string `json:"version"`
		License string `json:"license"`
		Dist    struct {
			Tarball   string `json:"tarball"`
			Integrity string `json:"integrity"`
		} `json:"dist"`
	}
	if err := json.Unmarshal(b, &meta); err != nil {
		return registry.Pin{}, fmt.Errorf("%s: registry answer: %w", name, err)
	}
	return registry.Pin{Name: name, Version: meta.Version, Resolved: meta.Dist.Tarball, Integrity: meta.Dist.Integrity, License: meta.License}, nil
}

// bundle builds one self-contained CommonJS file. Nothing is left to
// require but the declared externals.
func bundle(work string, m npm.Module) ([]byte, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:    work,
		EntryPoints:      []string{filepath.Join(work, "node_modules", m.Package, filepath.FromSlash(m.Entry))},
		Bundle:           true,
		Format:           api.FormatCommonJS,
		Platform:         api.PlatformNeutral,
		Target:           api.ES2017,
		MainFields:       []string{"main", "module"},
		External:         m.External,
		MinifyWhitespace: true,
		MinifySyntax:     true,
		LegalComments:    api.LegalCommentsNone,
		Write:            false,
		Outfile:          "out.js",
		LogLevel:         api.LogLevelSilent,
		Charset:          api.CharsetUTF8,
	})
	if len(res.Errors) > 0 {
		e := res.Errors[0]
		return nil, fmt.Errorf("esbuild: %s", e.Text)
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("esbuild wrote %d files, want 1", len(res.OutputFiles))
	}
	code := res.OutputFiles[0].Contents
	for _, call := range regexp.MustCompile(`\brequire\(\s*["']([^"']+)["']\s*\)`).FindAllSubmatch(code, -1) {
		if !contains(m.External, string(call[1])) {
			return nil, fmt.Errorf("the bundle still requires %q", call[1])
		}
	}
	return code, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
