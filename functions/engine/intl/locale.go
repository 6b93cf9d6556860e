// Package intl holds what the engine's Intl global formats with: CLDR
// data (generated from the Unicode consortium's cldr-json release into
// data/, see gen/) and the formatting algorithms of ECMA-402 in Go. It
// knows nothing of goja; the engine binds it to JavaScript.
package intl

//go:generate go run ./gen

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

//go:embed data/*.json
var dataFiles embed.FS

// DefaultLocale is the locale when none is asked for, as on the platforms
// users come from (Workers and Lambda run with en-US).
const DefaultLocale = "en-US"

type localeTable struct {
	Locales []string          `json:"locales"`
	Parents map[string]string `json:"parents"`
	Aliases map[string]string `json:"aliases"` // default content: de-DE → de
}

var locales = sync.OnceValue(func() *localeTable {
	var t localeTable
	mustDecode("locales", &t)
	return &t
})

var hasData = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, l := range locales().Locales {
		m[l] = true
	}
	return m
})

func mustDecode(name string, v any) {
	b, err := dataFiles.ReadFile("data/" + name + ".json")
	if err != nil {
		panic("intl: " + err.Error())
	}
	if err := json.Unmarshal(b, v); err != nil {
		panic("intl: data/" + name + ".json: " + err.Error())
	}
}

// Canonicalize is a language tag in canonical form (ECMA-402
// CanonicalizeUnicodeLocaleId), or an error for a tag that is not a
// well-formed Unicode locale identifier (UTS #35).
func Canonicalize(tag string) (string, error) {
	if !wellFormed(tag) {
		return "", fmt.Errorf("Incorrect locale information provided")
	}
	return canonicalTag(tag), nil
}

// wellFormed checks a tag against UTS #35's unicode_locale_id grammar:
// language (2–3 or 5–8 letters), script, region, variants (none twice),
// then extensions (none twice; -u- keys are a letter or digit and a
// letter; -t- fields a letter and a digit) and a private use part.
func wellFormed(tag string) bool {
	subs := strings.Split(strings.ToLower(tag), "-")
	lang := subs[0]
	if !(len(lang) >= 2 && len(lang) <= 3 || len(lang) >= 5 && len(lang) <= 8) || !isAlpha(lang) {
		return false
	}
	i := 1
	if i < len(subs) && len(subs[i]) == 4 && isAlpha(subs[i]) {
		i++ // script
	}
	if i < len(subs) && (len(subs[i]) == 2 && isAlpha(subs[i]) || len(subs[i]) == 3 && isDigits(subs[i])) {
		i++ // region
	}
	variants := map[string]bool{}
	for ; i < len(subs) && isVariant(subs[i]); i++ {
		if variants[subs[i]] {
			return false
		}
		variants[subs[i]] = true
	}
	singletons := map[string]bool{}
	for i < len(subs) {
		s := subs[i]
		if len(s) != 1 || !isAlnum(s) || singletons[s] {
			return false
		}
		singletons[s] = true
		i++
		start := i
		for i < len(subs) && len(subs[i]) > 1 || s == "x" && i < len(subs) {
			if len(subs[i]) > 8 || !isAlnum(subs[i]) {
				return false
			}
			i++
		}
		if i == start || !extensionWellFormed(s, subs[start:i]) {
			return false
		}
		if s == "x" && i < len(subs) {
			return false
		}
	}
	return true
}

func isVariant(s string) bool {
	return isAlnum(s) && (len(s) >= 5 && len(s) <= 8 || len(s) == 4 && s[0] >= '0' && s[0] <= '9')
}

// extensionWellFormed checks the subtags of one extension.
func extensionWellFormed(singleton string, subs []string) bool {
	switch singleton {
	case "u":
		for _, s := range subs {
			if len(s) == 2 && !(isAlpha(s[1:])) {
				return false // a key is alphanum alpha: "u-a1" is not one
			}
			if len(s) < 2 || len(s) > 8 {
				return false
			}
		}
	case "t":
		// tlang (a language with script, region, variants), then fields:
		// a key of a letter and a digit, each with values of 3–8.
		i := 0
		if len(subs) > 0 && isAlpha(subs[0]) && len(subs[0]) != 2 || len(subs) > 0 && len(subs[0]) == 2 && isAlpha(subs[0]) && !tfieldKey(subs[0]) {
			j := 1
			for j < len(subs) && !tfieldKey(subs[j]) {
				j++
			}
			if !wellFormed(strings.Join(subs[:j], "-")) {
				return false
			}
			i = j
		}
		for i < len(subs) {
			if !tfieldKey(subs[i]) {
				return false
			}
			i++
			n := 0
			for ; i < len(subs) && !tfieldKey(subs[i]); i++ {
				if len(subs[i]) < 3 {
					return false
				}
				n++
			}
			if n == 0 {
				return false
			}
		}
	}
	return true
}

func tfieldKey(s string) bool {
	return len(s) == 2 && isAlpha(s[:1]) && s[1] >= '0' && s[1] <= '9'
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func isAlpha(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func isAlnum(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// Resolved is the outcome of locale negotiation (ECMA-402 ResolveLocale,
// lookup matcher).
type Resolved struct {
	// Locale is what resolvedOptions().locale shows: the requested tag
	// that matched, without its Unicode extension.
	Locale string
	// Data is the CLDR locale whose data serve it (de-DE → de).
	Data string
	// Extension holds the -u- keywords of the matched request (nu → arab).
	Extension map[string]string
}

// Availability tells whether a service has data for a locale, and which
// data locale serves it. Formatting services share the CLDR locales
// (Formatting); Collator has the collations x/text has (Collation).
type Availability func(tag string) (data string, ok bool)

// Formatting is the availability of the generated CLDR tables.
var Formatting Availability = dataLocale

// Resolve picks the first requested locale (canonical tags) that data
// support, falling back along the tag (de-CH-1996 → de-CH → de); with no
// match, DefaultLocale.
func Resolve(requested []string, avail Availability) Resolved {
	for _, tag := range requested {
		base, ext := splitExtension(tag)
		if loc, data, ok := bestAvailable(base, avail); ok {
			return Resolved{Locale: loc, Data: data, Extension: ext}
		}
	}
	loc, data, _ := bestAvailable(DefaultLocale, avail)
	return Resolved{Locale: loc, Data: data}
}

// Supported is the subset of requested locales that Resolve would serve
// from their own data (supportedLocalesOf).
func Supported(requested []string, avail Availability) []string {
	out := []string{}
	for _, tag := range requested {
		base, _ := splitExtension(tag)
		if _, _, ok := bestAvailable(base, avail); ok {
			out = append(out, tag)
		}
	}
	return out
}

// bestAvailable is ECMA-402 BestAvailableLocale: the longest prefix of tag
// that has data. A tag without a script also tries the language's likely
// script (zh-TW has the data of zh-Hant-TW, or of zh-Hant).
func bestAvailable(tag string, avail Availability) (locale, data string, ok bool) {
	for cand := tag; cand != ""; cand = truncate(cand) {
		if d, ok := avail(cand); ok {
			return cand, d, true
		}
		if d, ok := withScript(cand, avail); ok {
			return cand, d, true
		}
	}
	return "", "", false
}

func dataLocale(tag string) (string, bool) {
	if hasData()[tag] {
		return tag, true
	}
	if d, ok := locales().Aliases[tag]; ok {
		return dataLocale(d)
	}
	return "", false
}

// withScript tries lang-Script-Region, then lang-Script, for a
// lang-Region tag.
func withScript(tag string, avail Availability) (string, bool) {
	parts := strings.Split(tag, "-")
	if len(parts) != 2 || len(parts[1]) == 4 {
		return "", false
	}
	t, err := language.Parse(tag)
	if err != nil {
		return "", false
	}
	s, conf := t.Script()
	if conf == language.No {
		return "", false
	}
	if d, ok := avail(parts[0] + "-" + s.String() + "-" + parts[1]); ok {
		return d, true
	}
	return avail(parts[0] + "-" + s.String())
}

// truncate drops tag's last subtag, and a singleton before it.
func truncate(tag string) string {
	i := strings.LastIndex(tag, "-")
	if i < 0 {
		return ""
	}
	tag = tag[:i]
	if j := strings.LastIndex(tag, "-"); j >= 0 && j == len(tag)-2 {
		tag = tag[:j]
	}
	return tag
}

// splitExtension cuts a tag's Unicode extension (-u-…) off, as keywords.
func splitExtension(tag string) (string, map[string]string) {
	i := strings.Index(tag, "-u-")
	if i < 0 {
		return tag, nil
	}
	base, rest := tag[:i], tag[i+3:]
	// Other extensions (-t-, -x-) after the -u- one end it.
	for _, sep := range []string{"-t-", "-x-"} {
		if j := strings.Index(rest, sep); j >= 0 {
			rest = rest[:j]
		}
	}
	ext := map[string]string{}
	key := ""
	for _, sub := range strings.Split(rest, "-") {
		if len(sub) == 2 {
			key = sub
			ext[key] = ""
			continue
		}
		if key != "" {
			if ext[key] != "" {
				ext[key] += "-"
			}
			ext[key] += sub
		}
	}
	return base, ext
}

// Parent is the locale a locale's data inherit from ("" for und).
func Parent(locale string) string { return locales().Parents[locale] }

// table is one generated file: each locale's record as its difference
// from its parent's.
type table struct {
	once    sync.Once
	records map[string]json.RawMessage
	mu      sync.Mutex
	merged  map[string]map[string]any
}

var tables sync.Map // name → *table

// Record decodes the full record of a data locale in the named table into
// v: its own values merged over its parents', root first.
func Record(name, locale string, v any) error {
	ti, _ := tables.LoadOrStore(name, &table{})
	t := ti.(*table)
	t.once.Do(func() { mustDecode(name, &t.records) })
	m, err := t.merge(locale)
	if err != nil {
		return err
	}
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

func (t *table) merge(locale string) (map[string]any, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m, ok := t.merged[locale]; ok {
		return m, nil
	}
	chain := []string{}
	for l := locale; l != ""; l = Parent(l) {
		chain = append(chain, l)
	}
	m := map[string]any{}
	for i := len(chain) - 1; i >= 0; i-- {
		raw, ok := t.records[chain[i]]
		if !ok {
			continue
		}
		var own map[string]any
		if err := json.Unmarshal(raw, &own); err != nil {
			return nil, err
		}
		m = mergeOver(m, own)
	}
	if t.merged == nil {
		t.merged = map[string]map[string]any{}
	}
	t.merged[locale] = m
	return m, nil
}

// mergeOver lays own's values over base's, objects key by key.
func mergeOver(base, own map[string]any) map[string]any {
	out := make(map[string]any, len(base)+len(own))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range own {
		bo, bok := out[k].(map[string]any)
		oo, ook := v.(map[string]any)
		if bok && ook {
			out[k] = mergeOver(bo, oo)
			continue
		}
		out[k] = v
	}
	return out
}
