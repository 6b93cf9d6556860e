package intl

import (
	"slices"
	"strings"
	"sync"

	"golang.org/x/text/collate"
)

// collations are the locales x/text's collate has tailorings for, and the
// alternative collation types (-u-co-) each language has.
var collations = sync.OnceValues(func() (map[string]bool, map[string][]string) {
	locales, types := map[string]bool{}, map[string][]string{}
	for _, t := range collate.Supported() {
		base, ext := splitExtension(t.String())
		if co := ext["co"]; co != "" {
			lang, _, _ := strings.Cut(base, "-")
			if co != "standard" && co != "search" { // ECMA-402 never exposes these two
				types[lang] = append(types[lang], co)
			}
			continue
		}
		if !strings.Contains(t.String(), "-u-") {
			locales[base] = true
		}
	}
	return locales, types
})

// Collation is Collator's availability, as ICU's: the locales with a
// tailoring of their own (en-US, fr-CA, zh-Hant), and the languages we
// have CLDR data for, whose order is the root collation's (pt, it).
var Collation Availability = func(tag string) (string, bool) {
	locales, _ := collations()
	return tag, locales[tag] || !strings.Contains(tag, "-") && hasData()[tag]
}

// CollationTypes are the alternative collations (phonebk, stroke…) a
// locale's language has, for -u-co- and the collation option.
func CollationTypes(locale string) []string {
	_, types := collations()
	lang, _, _ := strings.Cut(locale, "-")
	return slices.Clone(types[lang])
}
