package intl

import (
	"fmt"
	"strings"
)

type displayNameData struct {
	Languages, Regions, Scripts, Variants, Calendars, Fields map[string]string
	Pattern, Separator                                       string
}

// dateTimeFields maps ECMA-402's date-time field codes to CLDR's.
var dateTimeFields = map[string]string{
	"era": "era", "year": "year", "quarter": "quarter", "month": "month", "weekOfYear": "week", "weekday": "weekday",
	"day": "day", "dayPeriod": "dayperiod", "hour": "hour", "minute": "minute", "second": "second", "timeZoneName": "zone",
}

// DisplayName is Intl.DisplayNames.prototype.of: the canonical code for
// a type (language, region, script, currency, calendar, dateTimeField) and its
// name in a data locale, found false when CLDR has none. An error is a
// code that is not well-formed for its type (a RangeError).
func DisplayName(dataLocale, typ, style, languageDisplay, code string) (canonical, name string, found bool, err error) {
	var d displayNameData
	if err := Record("displaynames", dataLocale, &d); err != nil {
		return "", "", false, err
	}
	lookup := func(m map[string]string, key string) (string, bool) {
		if style != "long" {
			if v, ok := m[key+"-alt-short"]; ok {
				return v, true
			}
		}
		v, ok := m[key]
		return v, ok
	}
	shown := code
	if len(shown) > 64 {
		shown = shown[:64] + "…"
	}
	bad := fmt.Errorf("invalid %s code: %q", typ, shown)
	switch typ {
	case "language":
		if !wellFormed(code) || strings.Contains(code, "-u-") || strings.Contains(code, "-x-") || strings.Contains(code, "-t-") || hasSingleton(code) {
			return "", "", false, bad
		}
		canonical = canonicalTag(code)
		name, found = d.languageName(parseLangID(canonical), languageDisplay == "dialect", func(m map[string]string, key string) string {
			if v, ok := lookup(m, key); ok {
				return v
			}
			return key
		})
		return canonical, name, found, nil
	case "region":
		if !(len(code) == 2 && isAlpha(code) || len(code) == 3 && isDigits(code)) {
			return "", "", false, bad
		}
		canonical = strings.ToUpper(code)
		name, found = lookup(d.Regions, canonical)
	case "script":
		if len(code) != 4 || !isAlpha(code) {
			return "", "", false, bad
		}
		canonical = strings.ToUpper(code[:1]) + strings.ToLower(code[1:])
		name, found = d.Scripts[canonical]
	case "currency":
		if len(code) != 3 || !isAlpha(code) {
			return "", "", false, bad
		}
		canonical = strings.ToUpper(code)
		name, found = currenciesOf(dataLocale)[canonical]["name"] // every style: ICU has no short currency names
		found = found && name != ""
	case "calendar":
		if !typeSequence(code) {
			return "", "", false, bad
		}
		canonical = strings.Join(keywordValue("u-ca", strings.Split(strings.ToLower(code), "-")), "-")
		// CLDR names calendars by their LDML ids, which differ from the
		// BCP 47 ones in two cases.
		ldml := map[string]string{"gregory": "gregorian", "ethioaa": "ethiopic-amete-alem"}[canonical]
		if ldml == "" {
			ldml = canonical
		}
		name, found = d.Calendars[ldml]
	case "dateTimeField":
		field, ok := dateTimeFields[code]
		if !ok {
			return "", "", false, bad
		}
		canonical = code
		if style != "long" {
			field += "-" + style
		}
		name, found = d.Fields[field]
	default:
		return "", "", false, fmt.Errorf("invalid type %s", typ)
	}
	return canonical, name, found, nil
}

// languageName names a language id: with dialect names, CLDR's name of
// language-script-region, else of language-region, or of
// language-script when there is no region (en-US is "American
// English", zh-Hant "Traditional Chinese"), then the subtags left in
// parentheses: "Serbian (Latin, Serbia)". A subtag without a name
// shows as it is; only the language must have one.
func (d *displayNameData) languageName(id langID, dialect bool, name func(map[string]string, string) string) (string, bool) {
	base, script, region := id.lang, id.script, id.region
	lang, ok := "", false
	if dialect {
		var cands []struct{ key, script, region string }
		if script != "" && region != "" {
			cands = append(cands, struct{ key, script, region string }{base + "-" + script + "-" + region, "", ""})
		}
		if region != "" {
			cands = append(cands, struct{ key, script, region string }{base + "-" + region, script, ""})
		} else if script != "" {
			cands = append(cands, struct{ key, script, region string }{base + "-" + script, "", ""})
		}
		for _, c := range cands {
			if n := name(d.Languages, c.key); n != c.key {
				lang, ok, script, region = n, true, c.script, c.region
				break
			}
		}
	}
	if !ok {
		if lang = name(d.Languages, base); lang == base {
			return "", false
		}
	}
	var rest []string
	if script != "" {
		rest = append(rest, name(d.Scripts, script))
	}
	if region != "" {
		rest = append(rest, name(d.Regions, region))
	}
	for _, v := range id.variants {
		if n, ok := d.Variants[strings.ToUpper(v)]; ok {
			v = n
		}
		rest = append(rest, v)
	}
	if len(rest) == 0 {
		return lang, true
	}
	list := rest[0]
	for _, r := range rest[1:] {
		list = strings.NewReplacer("{0}", list, "{1}", r).Replace(d.Separator)
	}
	return strings.NewReplacer("{0}", lang, "{1}", list).Replace(d.Pattern), true
}

func hasSingleton(tag string) bool {
	for _, s := range strings.Split(tag, "-")[1:] {
		if len(s) == 1 {
			return true
		}
	}
	return false
}

func typeSequence(s string) bool {
	for _, p := range strings.Split(s, "-") {
		if len(p) < 3 || len(p) > 8 || !isAlnum(p) {
			return false
		}
	}
	return true
}
