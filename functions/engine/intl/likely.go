package intl

import (
	"strings"
	"sync"
)

var likelyTable = sync.OnceValue(func() map[string]string {
	var m map[string]string
	mustDecode("likely", &m)
	return m
})

// Maximize is UTS #35's Add Likely Subtags of a canonical tag's language
// id (zh → zh-Hans-CN, und-TW → zh-Hant-TW), the rest of the tag kept;
// the tag as it is when CLDR knows nothing likelier.
func Maximize(tag string) string {
	id, rest := splitLangID(tag)
	return joinRest(maximize(id).String(), rest)
}

// Minimize is UTS #35's Remove Likely Subtags: the shortest of language,
// language-region, language-script that maximizes to the same
// (zh-Hant-TW → zh-TW), favouring the region, as ICU does.
func Minimize(tag string) string {
	id, rest := splitLangID(tag)
	max := maximize(id)
	same := func(a, b langID) bool { return a.lang == b.lang && a.script == b.script && a.region == b.region }
	for _, trial := range []langID{{lang: max.lang}, {lang: max.lang, region: max.region}, {lang: max.lang, script: max.script}} {
		if same(maximize(trial), max) {
			trial.variants = id.variants
			return joinRest(trial.String(), rest)
		}
	}
	return joinRest(max.String(), rest)
}

func maximize(id langID) langID {
	t := likelyTable()
	key := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, "-")
	}
	lang := id.lang
	var candidates []string
	if id.script != "" && id.region != "" {
		candidates = append(candidates, key(lang, id.script, id.region))
	}
	if id.region != "" {
		candidates = append(candidates, key(lang, id.region))
	}
	if id.script != "" {
		candidates = append(candidates, key(lang, id.script))
	}
	candidates = append(candidates, lang)
	if lang == "und" && id.script != "" {
		candidates = append(candidates, key("und", id.script))
	}
	for _, c := range candidates {
		m, ok := t[c]
		if !ok {
			continue
		}
		found := parseLangID(m)
		out := id
		if out.lang == "und" {
			out.lang = found.lang
		}
		if out.script == "" {
			out.script = found.script
		}
		if out.region == "" {
			out.region = found.region
		}
		return out
	}
	return id
}

// splitLangID cuts a canonical tag into its language id and the rest
// (extensions), which stays as it is.
func splitLangID(tag string) (langID, string) {
	subs := strings.Split(tag, "-")
	i := 1
	for i < len(subs) && len(subs[i]) != 1 {
		i++
	}
	return parseLangID(strings.Join(subs[:i], "-")), strings.Join(subs[i:], "-")
}

func joinRest(id, rest string) string {
	if rest == "" {
		return id
	}
	return id + "-" + rest
}
