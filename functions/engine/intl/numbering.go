package intl

import "sync"

var digitTable = sync.OnceValue(func() map[string][]rune {
	var m map[string]string
	mustDecode("digits", &m)
	out := make(map[string][]rune, len(m))
	for k, v := range m {
		out[k] = []rune(v)
	}
	return out
})

// Digits are the ten digits of a numeric numbering system (latn, arab,
// beng, …); false for a system that is not numeric or not known.
func Digits(system string) ([]rune, bool) {
	d, ok := digitTable()[system]
	return d, ok
}

// NumberingSystem is the numbering system a data locale writes numbers in:
// requested (a -u-nu- keyword or the numberingSystem option) when it is a
// numeric system, else the locale's default. "native", "traditional" and
// "finance" name one of the locale's own systems.
func NumberingSystem(dataLocale, requested string) string {
	key := dataLocale + "/" + requested
	if ns, ok := numberingCache.Load(key); ok {
		return ns.(string)
	}
	ns := numberingSystem(dataLocale, requested)
	if len(requested) <= 8 { // the keys stay few: locales × system names
		numberingCache.Store(key, ns)
	}
	return ns
}

var numberingCache sync.Map // "dataLocale/requested" → system (CLDR data: process-wide)

func numberingSystem(dataLocale, requested string) string {
	var rec struct {
		Default string            `json:"default"`
		Others  map[string]string `json:"others"`
	}
	if err := Record("numbering", dataLocale, &rec); err != nil {
		panic("intl: " + err.Error())
	}
	if alias, ok := rec.Others[requested]; ok {
		requested = alias
	}
	if _, ok := Digits(requested); ok {
		return requested
	}
	if rec.Default == "" {
		return "latn"
	}
	return rec.Default
}

// Transliterate writes the ASCII digits of s in a numbering system's.
func Transliterate(s, system string) string {
	d, ok := Digits(system)
	if !ok || system == "latn" {
		return s
	}
	out := make([]rune, 0, len(s))
	for _, c := range s {
		if c >= '0' && c <= '9' {
			c = d[c-'0']
		}
		out = append(out, c)
	}
	return string(out)
}
