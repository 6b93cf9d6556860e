// Command gen writes the CLDR tables of package intl (../data) from the
// Unicode consortium's own JSON release of CLDR, the cldr-* npm packages
// pinned with their integrity in ../cldr.lock.json. Builds need no network;
// only regenerating does.
//
//	go generate ./functions/engine/intl/
//
// Locales: every CLDR locale of the languages listed below (with their
// regional variants), plus the root. Each table stores a locale's record
// as its difference from its parent's, so that the hundred regional
// variants of English cost little; package intl merges the chain back.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/scriptforge/scriptforge/functions/engine/npm/registry"
)

// languages are those whose locales ScriptForge formats for: the most
// used on the web and in telecom markets, with several scripts, digit
// systems and grouping styles among them.
var languages = []string{
	"ar", "bg", "bn", "ca", "cs", "da", "de", "el", "en", "es", "et", "fa", "fi", "fr",
	"he", "hi", "hr", "hu", "id", "it", "ja", "ko", "lt", "lv", "ms", "nb", "nl", "no",
	"pl", "pt", "ro", "ru", "sk", "sl", "sr", "sv", "th", "tr", "uk", "vi", "zh",
}

// tables are the generated files: each returns the full record of a
// locale (nil to leave the locale out of that table).
var tables = map[string]func(c *cldr, locale string) (any, error){}

// extras write the files that are not tables of locales (supplemental data).
var extras []func(c *cldr) error

// cldr is the unpacked release.
type cldr struct {
	root    string            // node_modules
	locales []string          // sorted, "und" first
	parent  map[string]string // every locale but und

	countries map[string]string // zone → its country (gen/dates.go)
	primary   map[string]bool   // zones that stand for their country
}

// read decodes a file of a package (e.g. "cldr-numbers-full", "main/de/numbers.json").
func (c *cldr) read(pkg, file string, v any) error {
	b, err := os.ReadFile(filepath.Join(c.root, pkg, filepath.FromSlash(file)))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	var lock struct {
		Packages []registry.Pin `json:"packages"`
	}
	b, err := os.ReadFile("cldr.lock.json")
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "scriptforge-cldr-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	var license string
	for _, p := range lock.Packages {
		if license, err = registry.Fetch(p, filepath.Join(work, p.Name)); err != nil {
			return err
		}

	}
	c := &cldr{root: work}
	if err := c.loadLocales(); err != nil {
		return err
	}
	if err := writeJSON("data/locales.json", c.localeTable()); err != nil {
		return err
	}
	for _, extra := range extras {
		if err := extra(c); err != nil {
			return err
		}
	}
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		full := map[string]any{}
		for _, loc := range c.locales {
			rec, err := tables[name](c, loc)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", name, loc, err)
			}
			if rec != nil {
				full[loc] = normal(rec)
			}
		}
		out := map[string]any{}
		for loc, rec := range full {
			if loc == "und" {
				out[loc] = rec
				continue
			}
			if d, changed := diff(rec, full[c.parent[loc]]); changed {
				out[loc] = d
			}
		}
		if err := writeJSON("data/"+name+".json", out); err != nil {
			return err
		}
		fmt.Printf("wrote data/%s.json: %d locales, %d with records of their own\n", name, len(full), len(out))
	}
	return os.WriteFile("data/LICENSE", []byte("CLDR data, from the cldr-json packages of cldr.lock.json.\n\n"+license), 0o644)
}

// loadLocales picks the locales of the chosen languages, and their parents.
func (c *cldr) loadLocales() error {
	var avail struct {
		AvailableLocales struct {
			Full []string `json:"full"`
		} `json:"availableLocales"`
	}
	if err := c.read("cldr-core", "availableLocales.json", &avail); err != nil {
		return err
	}
	var parents struct {
		Supplemental struct {
			ParentLocales struct {
				ParentLocale map[string]string `json:"parentLocale"`
			} `json:"parentLocales"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/parentLocales.json", &parents); err != nil {
		return err
	}
	c.parent = map[string]string{}
	for _, loc := range avail.AvailableLocales.Full {
		lang, _, _ := strings.Cut(loc, "-")
		if loc != "und" && !slices.Contains(languages, lang) {
			continue
		}
		c.locales = append(c.locales, loc)
	}
	sort.Slice(c.locales, func(i, j int) bool {
		if c.locales[i] == "und" || c.locales[j] == "und" {
			return c.locales[i] == "und"
		}
		return c.locales[i] < c.locales[j]
	})
	for _, loc := range c.locales {
		if loc == "und" {
			continue
		}
		p, ok := parents.Supplemental.ParentLocales.ParentLocale[loc]
		for l := loc; !ok; { // truncation: ca-ES-valencia's parent is ca (ca-ES is ca's default content)
			i := strings.LastIndex(l, "-")
			if i < 0 {
				p, ok = "und", true
				break
			}
			l = l[:i]
			p, ok = l, slices.Contains(c.locales, l)
		}
		if !slices.Contains(c.locales, p) {
			return fmt.Errorf("locale %s: parent %s is not among the locales", loc, p)
		}
		c.parent[loc] = p
	}
	return nil
}

// localeTable is data/locales.json: the locales with data, each one's
// parent, and the default-content locales (de-DE is de) as aliases.
func (c *cldr) localeTable() any {
	var dc struct {
		DefaultContent []string `json:"defaultContent"`
	}
	if err := c.read("cldr-core", "defaultContent.json", &dc); err != nil {
		panic(err)
	}
	aliases := map[string]string{}
	for _, loc := range dc.DefaultContent {
		i := strings.LastIndex(loc, "-")
		if i < 0 || !slices.Contains(c.locales, loc[:i]) {
			continue
		}
		aliases[loc] = loc[:i]
	}
	return map[string]any{"locales": c.locales, "parents": c.parent, "aliases": aliases}
}

// normal turns a record into plain JSON values (maps, slices, strings…).
func normal(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// diff is what rec has that parent has not, or has otherwise: objects
// are compared key by key, anything else as a whole; changed is false
// when nothing differs. A value rec lacks is kept as null, which the
// runtime's merge takes as "not inherited".
func diff(rec, parent any) (d any, changed bool) {
	r, rok := rec.(map[string]any)
	p, pok := parent.(map[string]any)
	if !rok || !pok {
		return rec, !reflect.DeepEqual(rec, parent)
	}
	out := map[string]any{}
	for k, v := range r {
		if d, changed := diff(v, p[k]); changed {
			out[k] = d
		}
	}
	for k := range p {
		if _, in := r[k]; !in {
			out[k] = nil
		}
	}
	return out, len(out) > 0
}

func writeJSON(file string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(file, append(b, '\n'), 0o644)
}
