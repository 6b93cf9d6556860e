package intl

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// UTS #35's canonicalization of a Unicode locale identifier (Annex C),
// which ECMA-402's CanonicalizeUnicodeLocaleId asks for: alias rules
// from CLDR's aliases.json (cmn → zh, sh → sr-Latn, SU → RU, heploc →
// alalc97), canonical case, sorted variants and extensions. x/text's
// own canonicalization departs from it (mo is ro-MD there, POSIX becomes
// -u-va-posix), so only its likely subtags are used here.

type aliasTable struct {
	Language  map[string]string `json:"language"`
	Script    map[string]string `json:"script"`
	Territory map[string]string `json:"territory"`
	Variant   map[string]string `json:"variant"`
	Subdiv    map[string]string `json:"subdivision"`
	rules     []languageRule    // Language, parsed; the most specific first
	// keywords replace the deprecated and alias values of -u- and -t-
	// keys (data/keywords.json, by "u-ca", "t-m0").
	keywords map[string]map[string]string
}

// languageRule is a languageAlias entry: a language with optional
// script, region and variants to match, and its replacement.
type languageRule struct {
	match, replace langID
}

// langID is the unicode_language_id part of a tag.
type langID struct {
	lang, script, region string
	variants             []string
}

var aliasData = sync.OnceValue(func() *aliasTable {
	var t aliasTable
	mustDecode("aliases", &t)
	mustDecode("keywords", &t.keywords)
	for k, v := range t.Language {
		if strings.HasPrefix(k, "i-") {
			continue // irregular legacy tags, which are not unicode_locale_ids
		}
		// A legacy tag's replacement keeps it as private use
		// (cel-gaulish → xtg-x-cel-gaulish); the language id is xtg.
		v, _, _ = strings.Cut(v, "-x-")
		t.rules = append(t.rules, languageRule{match: parseLangID(k), replace: parseLangID(v)})
	}
	// More subtags to match is more specific (hy-arevmda before hy); ties
	// in a fixed order.
	sort.Slice(t.rules, func(i, j int) bool {
		a, b := t.rules[i].match, t.rules[j].match
		if a.fields() != b.fields() {
			return a.fields() > b.fields()
		}
		return a.String() < b.String()
	})
	return &t
})

func parseLangID(s string) langID {
	subs := strings.Split(strings.ToLower(s), "-")
	id := langID{lang: subs[0]}
	i := 1
	if i < len(subs) && len(subs[i]) == 4 && isAlpha(subs[i]) {
		id.script = strings.ToUpper(subs[i][:1]) + subs[i][1:]
		i++
	}
	if i < len(subs) && (len(subs[i]) == 2 && isAlpha(subs[i]) || len(subs[i]) == 3 && isDigits(subs[i])) {
		id.region = strings.ToUpper(subs[i])
		i++
	}
	id.variants = append(id.variants, subs[i:]...)
	return id
}

func (id langID) fields() int {
	n := len(id.variants)
	for _, f := range []string{id.script, id.region} {
		if f != "" {
			n++
		}
	}
	if id.lang != "und" {
		n++
	}
	return n
}

func (id langID) String() string {
	parts := []string{id.lang}
	for _, f := range []string{id.script, id.region} {
		if f != "" {
			parts = append(parts, f)
		}
	}
	return strings.Join(append(parts, id.variants...), "-")
}

// matches reports whether a rule's subtags are all in id (und matches
// any language).
func (rule langID) matches(id langID) bool {
	if rule.lang != "und" && rule.lang != id.lang || rule.script != "" && rule.script != id.script ||
		rule.region != "" && rule.region != id.region {
		return false
	}
	for _, v := range rule.variants {
		if !slices.Contains(id.variants, v) {
			return false
		}
	}
	return true
}

// canonicalLangID applies the alias rules until none matches (each
// replacement removes what it matched, so this ends; the bound is a
// guard against a cycle in the data).
func canonicalLangID(id langID) langID {
	t := aliasData()
	for range 16 {
		changed := false
		for _, r := range t.rules {
			if !r.match.matches(id) {
				continue
			}
			if r.match.lang != "und" || r.replace.lang != "und" {
				id.lang = r.replace.lang
			}
			// A field the rule matched takes the replacement's, even none
			// (sgn-GR → gss); a field the tag lacks takes the replacement's.
			if r.match.script != "" || id.script == "" {
				id.script = r.replace.script
			}
			if r.match.region != "" || id.region == "" {
				id.region = r.replace.region
			}
			id.variants = slices.DeleteFunc(id.variants, func(v string) bool { return slices.Contains(r.match.variants, v) })
			for _, v := range r.replace.variants {
				if !slices.Contains(id.variants, v) {
					id.variants = append(id.variants, v)
				}
			}
			changed = true
			break
		}
		if s, ok := t.Script[id.script]; ok {
			id.script, changed = s, true
		}
		if r, ok := t.Territory[id.region]; ok {
			id.region, changed = successor(id, strings.Fields(r)), true
		}
		for i, v := range id.variants {
			if s, ok := t.Variant[v]; ok {
				id.variants[i], changed = s, true
			}
		}
		if !changed {
			break
		}
	}
	sort.Strings(id.variants)
	return id
}

// successor picks, among the regions that replace a split one (SU), the
// language's likely region if it is one of them, else the first.
func successor(id langID, regions []string) string {
	if len(regions) == 1 {
		return regions[0]
	}
	base := id.lang
	if id.script != "" {
		base += "-" + id.script
	}
	if t, err := language.Parse(base); err == nil {
		if r, conf := t.Region(); conf != language.No && slices.Contains(regions, r.String()) {
			return r.String()
		}
	}
	return regions[0]
}

// canonicalTag is a well-formed tag in UTS #35's canonical form: its
// language id through the aliases, then its extensions sorted by
// singleton (private use last), -u- attributes sorted, keywords by key with the
// value "true" dropped and a repeated key's later values ignored, and
// -t- fields sorted, all in lower case.
func canonicalTag(tag string) string {
	subs := strings.Split(strings.ToLower(tag), "-")
	i := 1
	for i < len(subs) && len(subs[i]) != 1 {
		i++
	}
	id := canonicalLangID(parseLangID(strings.Join(subs[:i], "-")))
	type ext struct {
		singleton string
		subs      []string
	}
	var exts []ext
	// The legacy variant POSIX is the keyword -u-va-posix (UTS #35 §3.2.1).
	if j := slices.Index(id.variants, "posix"); j >= 0 {
		id.variants = slices.Delete(id.variants, j, j+1)
		exts = append(exts, ext{"u", []string{"va", "posix"}})
	}
	var private []string
	for i < len(subs) {
		s := subs[i]
		j := i + 1
		for j < len(subs) && (len(subs[j]) != 1 || s == "x") {
			j++
		}
		switch {
		case s == "x":
			private = subs[i:j]
		case s == "u" && len(exts) > 0 && exts[0].singleton == "u": // after the POSIX keyword
			exts[0].subs = append(slices.Clone(subs[i+1:j]), exts[0].subs...)
		default:
			exts = append(exts, ext{s, subs[i+1 : j]})
		}
		i = j
	}
	sort.Slice(exts, func(a, b int) bool { return exts[a].singleton < exts[b].singleton })
	out := []string{id.String()}
	for _, e := range exts {
		switch e.singleton {
		case "u":
			out = append(out, "u")
			out = append(out, canonicalUnicodeExt(e.subs)...)
		case "t":
			out = append(out, "t")
			out = append(out, canonicalTransformExt(e.subs)...)
		default:
			out = append(out, e.singleton)
			out = append(out, e.subs...)
		}
	}
	out = append(out, private...)
	return strings.Join(out, "-")
}

func canonicalUnicodeExt(subs []string) []string {
	var attrs []string
	i := 0
	for ; i < len(subs) && len(subs[i]) != 2; i++ {
		attrs = append(attrs, subs[i])
	}
	type keyword struct {
		key    string
		values []string
	}
	var kws []keyword
	for i < len(subs) {
		k := keyword{key: subs[i]}
		i++
		for ; i < len(subs) && len(subs[i]) != 2; i++ {
			k.values = append(k.values, subs[i])
		}
		if slices.ContainsFunc(kws, func(x keyword) bool { return x.key == k.key }) {
			continue // a repeated key: the first one counts
		}
		k.values = keywordValue("u-"+k.key, k.values)
		if len(k.values) == 1 && k.values[0] == "true" {
			k.values = nil
		}
		kws = append(kws, k)
	}
	sort.SliceStable(kws, func(a, b int) bool { return kws[a].key < kws[b].key })
	sort.Strings(attrs)
	out := slices.Compact(attrs)
	for _, k := range kws {
		out = append(out, k.key)
		out = append(out, k.values...)
	}
	return out
}

func canonicalTransformExt(subs []string) []string {
	i := 0
	for i < len(subs) && !tfieldKey(subs[i]) {
		i++
	}
	var out []string
	if i > 0 {
		tlang := canonicalLangID(parseLangID(strings.Join(subs[:i], "-")))
		out = strings.Split(strings.ToLower(tlang.String()), "-")
	}
	type field struct {
		key    string
		values []string
	}
	var fields []field
	for i < len(subs) {
		f := field{key: subs[i]}
		i++
		for ; i < len(subs) && !tfieldKey(subs[i]); i++ {
			f.values = append(f.values, subs[i])
		}
		f.values = keywordValue("t-"+f.key, f.values)
		fields = append(fields, f)
	}
	sort.SliceStable(fields, func(a, b int) bool { return fields[a].key < fields[b].key })
	for _, f := range fields {
		out = append(out, f.key)
		out = append(out, f.values...)
	}
	return out
}

// keywordValue replaces an alias or deprecated keyword value by its
// canonical one (subdivisions of rg and sd by CLDR's subdivision aliases).
func keywordValue(key string, values []string) []string {
	t := aliasData()
	v := strings.Join(values, "-")
	if r, ok := t.keywords[key][v]; ok {
		return strings.Split(r, "-")
	}
	if key == "u-rg" || key == "u-sd" {
		if r, ok := t.Subdiv[v]; ok {
			if first, _, _ := strings.Cut(r, " "); first != "" {
				return []string{first}
			}
		}
	}
	return values
}

// LocaleParts are an Intl.Locale's: its canonical tag, the language id
// and its subtags, and the -u- keywords (a keyword without a value, as
// kn is for true, has "").
type LocaleParts struct {
	Tag, BaseName, Language, Script, Region string
	Keywords                                map[string]string
}

// BuildLocale is Intl.Locale's tag (ECMA-402 ApplyOptionsToTag and
// ApplyUnicodeExtensionToTag): tag canonicalized, the language, script
// and region given in place of its own, the keywords given (ca, co, hc,
// kf, kn, nu) in place of its -u- ones, and canonicalized again.
func BuildLocale(tag, lang, script, region string, keywords map[string]string) (LocaleParts, error) {
	canon, err := Canonicalize(tag)
	if err != nil {
		return LocaleParts{}, err
	}
	id, rest := splitLangID(canon)
	if lang != "" {
		id.lang = strings.ToLower(lang)
	}
	if script != "" {
		id.script = script
	}
	if region != "" {
		id.region = region
	}
	_, ext := splitExtension(canon)
	if len(keywords) > 0 {
		if ext == nil {
			ext = map[string]string{}
		}
		for k, v := range keywords {
			ext[k] = strings.ToLower(v)
		}
		rest = withKeywords(rest, ext)
	}
	canon, err = Canonicalize(joinRest(id.String(), rest))
	if err != nil {
		return LocaleParts{}, err
	}
	id, _ = splitLangID(canon)
	_, ext = splitExtension(canon)
	base := id.String()
	return LocaleParts{Tag: canon, BaseName: base, Language: id.lang, Script: id.script, Region: id.region, Keywords: ext}, nil
}

// withKeywords rewrites the extensions part of a tag with a new set of -u-
// keywords (its attributes, the other extensions and private use kept).
func withKeywords(rest string, kw map[string]string) string {
	var subs []string
	if rest != "" {
		subs = strings.Split(rest, "-")
	}
	var others, attrs, private []string
	for i := 0; i < len(subs); {
		s := subs[i]
		j := i + 1
		for j < len(subs) && (len(subs[j]) != 1 || s == "x") {
			j++
		}
		switch s {
		case "u":
			for _, a := range subs[i+1 : j] {
				if len(a) == 2 {
					break // the keywords start: kw has them
				}
				attrs = append(attrs, a)
			}
		case "x":
			private = subs[i:j]
		default:
			others = append(others, subs[i:j]...)
		}
		i = j
	}
	keys := make([]string, 0, len(kw))
	for k := range kw {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	u := append([]string{"u"}, attrs...)
	for _, k := range keys {
		u = append(u, k)
		if kw[k] != "" {
			u = append(u, strings.Split(kw[k], "-")...)
		}
	}
	out := others
	if len(u) > 1 {
		out = append(out, u...)
	}
	return strings.Join(append(out, private...), "-")
}
