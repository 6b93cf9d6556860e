package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
)

// The number formatting tables: per locale and numbering system the
// symbols and patterns of numbers.json (decimal, percent, currency,
// accounting, the compact forms, the currency-name unit patterns and the
// currency spacing); the currency names and symbols of currencies.json;
// the relative-time strings of dateFields.json; and, supplemental, the
// currencies' digits and the plural rules.
func init() {
	tables["numbers"] = numbersTable
	tables["currencies"] = currenciesTable
	tables["relative"] = relativeTable
	extras = append(extras, currencyDigits, pluralRules, systemSymbols)
}

func numbersTable(c *cldr, locale string) (any, error) {
	var f struct {
		Main map[string]struct {
			Numbers map[string]any `json:"numbers"`
		} `json:"main"`
	}
	if err := c.read("cldr-numbers-full", "main/"+locale+"/numbers.json", &f); err != nil {
		return nil, err
	}
	n := f.Main[locale].Numbers
	systems := map[string]any{}
	for key, v := range n {
		ns, ok := strings.CutPrefix(key, "symbols-numberSystem-")
		if !ok {
			continue
		}
		sys := map[string]any{"symbols": v}
		str := func(m any, k string) any {
			if mm, ok := m.(map[string]any); ok {
				return mm[k]
			}
			return nil
		}
		dec := n["decimalFormats-numberSystem-"+ns]
		sys["decimal"] = str(dec, "standard")
		sys["short"] = str(str(dec, "short"), "decimalFormat")
		sys["long"] = str(str(dec, "long"), "decimalFormat")
		sys["percent"] = str(n["percentFormats-numberSystem-"+ns], "standard")
		cur := n["currencyFormats-numberSystem-"+ns]
		sys["currency"] = str(cur, "standard")
		sys["accounting"] = str(cur, "accounting")
		sys["currencyShort"] = str(str(cur, "short"), "standard")
		sys["spacing"] = str(cur, "currencySpacing")
		units := map[string]any{}
		if m, ok := cur.(map[string]any); ok {
			for k, v := range m {
				if count, ok := strings.CutPrefix(k, "unitPattern-count-"); ok {
					units[count] = v
				}
			}
		}
		sys["unitPattern"] = units
		sys["range"] = str(n["miscPatterns-numberSystem-"+ns], "range")
		systems[ns] = sys
	}
	return map[string]any{
		"minimumGroupingDigits": n["minimumGroupingDigits"],
		"systems":               systems,
	}, nil
}

// systemSymbols writes data/systemsymbols.json, the root's symbols of
// each numbering system (CLDR's root.xml has them; cldr-json leaves them
// out). They are found as the symbols that the most languages writing
// in the system share: a language's own symbols are shared only by its
// regional variants (ar-*), the root's by the languages that inherit them
// (dv, sd, ha-Arab: NaN and "اس" for arab). ICU takes them for, say,
// en-u-nu-arab.
func systemSymbols(c *cldr) error {
	common, err := c.commonSymbols()
	if err != nil {
		return err
	}
	return writeJSON("data/systemsymbols.json", common)
}

// commonSymbols are, for each numbering system, the symbols that the
// most languages of CLDR (all of them, not only ours) give it.
func (c *cldr) commonSymbols() (map[string]any, error) {
	dirs, err := os.ReadDir(filepath.Join(c.root, "cldr-numbers-full", "main"))
	if err != nil {
		return nil, err
	}
	langs := map[string]map[string]map[string]bool{} // system → symbols → languages
	for _, d := range dirs {
		var f struct {
			Main map[string]struct {
				Numbers map[string]any `json:"numbers"`
			} `json:"main"`
		}
		if err := c.read("cldr-numbers-full", "main/"+d.Name()+"/numbers.json", &f); err != nil {
			return nil, err
		}
		for key, v := range f.Main[d.Name()].Numbers {
			if ns, ok := strings.CutPrefix(key, "symbols-numberSystem-"); ok {
				b, _ := json.Marshal(v)
				if langs[ns] == nil {
					langs[ns] = map[string]map[string]bool{}
				}
				if langs[ns][string(b)] == nil {
					langs[ns][string(b)] = map[string]bool{}
				}
				lang, _, _ := strings.Cut(d.Name(), "-")
				langs[ns][string(b)][lang] = true
			}
		}
	}
	common := func(ns string) map[string]any {
		best, n := "", 0
		for sym, ls := range langs[ns] {
			if len(ls) > n || len(ls) == n && sym < best {
				best, n = sym, len(ls)
			}
		}
		var v map[string]any
		_ = json.Unmarshal([]byte(best), &v)
		return v
	}
	latn := common("latn")
	out := map[string]any{}
	for ns := range langs {
		v := common(ns)
		// A system written with latn's separators and signs (deva, beng,
		// …) has no symbols of its own in the root: a locale's latn ones
		// serve it, as in ICU ("ca-u-nu-deva" groups with ".").
		same := true
		for _, k := range []string{"decimal", "group", "percentSign", "plusSign", "minusSign", "perMille"} {
			same = same && v[k] == latn[k]
		}
		if !same && ns != "latn" {
			delete(v, "timeSeparator")
			out[ns] = v
		}
	}
	return out, nil
}

func currenciesTable(c *cldr, locale string) (any, error) {
	var f struct {
		Main map[string]struct {
			Numbers struct {
				Currencies map[string]map[string]string `json:"currencies"`
			} `json:"numbers"`
		} `json:"main"`
	}
	if err := c.read("cldr-numbers-full", "main/"+locale+"/currencies.json", &f); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for code, cur := range f.Main[locale].Numbers.Currencies {
		rec := map[string]string{}
		for k, v := range cur {
			switch {
			case k == "displayName":
				rec["name"] = v
			case strings.HasPrefix(k, "displayName-count-"):
				rec[strings.TrimPrefix(k, "displayName-count-")] = v
			case k == "symbol":
				rec["symbol"] = v
			case k == "symbol-alt-narrow":
				rec["narrow"] = v
			}
		}
		out[code] = rec
	}
	return out, nil
}

// relativeUnits are the fields Intl.RelativeTimeFormat formats.
var relativeUnits = []string{"year", "quarter", "month", "week", "day", "hour", "minute", "second"}

func relativeTable(c *cldr, locale string) (any, error) {
	var f struct {
		Main map[string]struct {
			Dates struct {
				Fields map[string]map[string]any `json:"fields"`
			} `json:"dates"`
		} `json:"main"`
	}
	if err := c.read("cldr-dates-full", "main/"+locale+"/dateFields.json", &f); err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, unit := range relativeUnits {
		for _, style := range []string{"", "-short", "-narrow"} {
			field := f.Main[locale].Dates.Fields[unit+style]
			if field == nil {
				continue
			}
			rec := map[string]any{}
			rel := map[string]any{}
			for k, v := range field {
				if n, ok := strings.CutPrefix(k, "relative-type-"); ok {
					rel[n] = v
				}
			}
			rec["relative"] = rel
			for _, tense := range []string{"future", "past"} {
				pats := map[string]any{}
				if m, ok := field["relativeTime-type-"+tense].(map[string]any); ok {
					for k, v := range m {
						pats[strings.TrimPrefix(k, "relativeTimePattern-count-")] = v
					}
				}
				rec[tense] = pats
			}
			out[unit+style] = rec
		}
	}
	return out, nil
}

// currencyDigits writes data/currencydigits.json: each currency's number
// of fraction digits (CLDR's, which ICU and so Node use), and DEFAULT.
func currencyDigits(c *cldr) error {
	var f struct {
		Supplemental struct {
			CurrencyData struct {
				Fractions map[string]map[string]string `json:"fractions"`
			} `json:"currencyData"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/currencyData.json", &f); err != nil {
		return err
	}
	out := map[string]string{}
	for code, fr := range f.Supplemental.CurrencyData.Fractions {
		out[code] = fr["_digits"]
	}
	return writeJSON("data/currencydigits.json", out)
}

// pluralRules writes data/plurals.json: CLDR's cardinal and ordinal rules
// of the chosen languages (and their regional variants), the sample
// lists cut off.
func pluralRules(c *cldr) error {
	out := map[string]any{}
	for _, kind := range []string{"cardinal", "ordinal"} {
		var f struct {
			Supplemental struct {
				Cardinal map[string]map[string]string `json:"plurals-type-cardinal"`
				Ordinal  map[string]map[string]string `json:"plurals-type-ordinal"`
			} `json:"supplemental"`
		}
		file := "supplemental/plurals.json"
		if kind == "ordinal" {
			file = "supplemental/ordinals.json"
		}
		if err := c.read("cldr-core", file, &f); err != nil {
			return err
		}
		rules := map[string]any{}
		all := f.Supplemental.Cardinal
		if kind == "ordinal" {
			all = f.Supplemental.Ordinal
		}
		for lang, rs := range all {
			base, _, _ := strings.Cut(lang, "-")
			if lang != "und" && !contains(languages, base) {
				continue
			}
			rec := map[string]string{}
			for k, v := range rs {
				rule, _, _ := strings.Cut(v, "@")
				rec[strings.TrimPrefix(k, "pluralRule-count-")] = strings.TrimSpace(rule)
			}
			rules[lang] = rec
		}
		out[kind] = rules
	}
	var ranges struct {
		Supplemental struct {
			Plurals map[string]map[string]string `json:"plurals"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/pluralRanges.json", &ranges); err != nil {
		return err
	}
	rs := map[string]any{}
	for lang, m := range ranges.Supplemental.Plurals {
		base, _, _ := strings.Cut(lang, "-")
		if !contains(languages, base) {
			continue
		}
		rec := map[string]string{}
		for k, v := range m { // pluralRange-start-one-end-other → one-other
			k = strings.TrimPrefix(k, "pluralRange-start-")
			rec[strings.Replace(k, "-end-", "-", 1)] = v
		}
		rs[lang] = rec
	}
	out["ranges"] = rs
	return writeJSON("data/plurals.json", out)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
