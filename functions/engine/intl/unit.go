package intl

import (
	"errors"
	"slices"
	"strings"
	"sync"
)

// SanctionedUnits are ECMA-402's simple units (Table 2).
var SanctionedUnits = []string{
	"acre", "bit", "byte", "celsius", "centimeter", "day", "degree", "fahrenheit", "fluid-ounce", "foot",
	"gallon", "gigabit", "gigabyte", "gram", "hectare", "hour", "inch", "kilobit", "kilobyte", "kilogram",
	"kilometer", "liter", "megabit", "megabyte", "meter", "microsecond", "mile", "mile-scandinavian",
	"milliliter", "millimeter", "millisecond", "minute", "month", "nanosecond", "ounce", "percent",
	"petabyte", "pound", "second", "stone", "terabit", "terabyte", "week", "yard", "year",
}

// IsSanctionedUnit is ECMA-402 IsWellFormedUnitIdentifier: a simple
// unit, or two joined by "-per-".
func IsSanctionedUnit(u string) bool {
	if slices.Contains(SanctionedUnits, u) {
		return true
	}
	num, den, ok := strings.Cut(u, "-per-")
	return ok && slices.Contains(SanctionedUnits, num) && slices.Contains(SanctionedUnits, den)
}

type unitsRecord map[string]map[string]map[string]string // display → unit → count or "per" → pattern

var unitsCache sync.Map

func unitsOf(locale string) unitsRecord {
	if v, ok := unitsCache.Load(locale); ok {
		return v.(unitsRecord)
	}
	var raw map[string]map[string]any
	if err := Record("units", locale, &raw); err != nil {
		panic("intl: " + err.Error())
	}
	rec := unitsRecord{}
	for display, units := range raw {
		rec[display] = map[string]map[string]string{}
		for unit, v := range units {
			m := map[string]string{}
			switch v := v.(type) {
			case map[string]any:
				for k, p := range v {
					if s, ok := p.(string); ok {
						m[k] = s
					}
				}
			case string: // the display's "per" pattern
				m["compound"] = v
			}
			rec[display][unit] = m
		}
	}
	v, _ := unitsCache.LoadOrStore(locale, rec)
	return v.(unitsRecord)
}

// unitPattern is the pattern of a unit for a plural category, "{0}" the
// number: CLDR's own for the unit (also for the compounds it names,
// kilometer-per-hour), else the numerator's inside the denominator's
// "per" pattern, else both in the display's compound pattern, as ICU
// builds them.
func (f *NumberFormat) unitPattern(cat string) (string, error) {
	units := f.units
	get := func(unit, cat string) string {
		m := units[unit]
		if m == nil {
			return ""
		}
		return firstOf(m[cat], m["other"])
	}
	if p := get(f.opts.Unit, cat); p != "" {
		return p, nil
	}
	num, den, ok := strings.Cut(f.opts.Unit, "-per-")
	if !ok {
		return "", errors.New("no data for unit " + f.opts.Unit)
	}
	np := get(num, cat)
	if np == "" {
		return "", errors.New("no data for unit " + num)
	}
	if m := units[den]; m != nil && m["per"] != "" {
		return strings.Replace(m["per"], "{0}", np, 1), nil
	}
	dp := strings.TrimSpace(strings.Replace(get(den, "one"), "{0}", "", 1))
	compound := firstOf(units["per"]["compound"], "{0}/{1}")
	return strings.Replace(strings.Replace(compound, "{0}", np, 1), "{1}", dp, 1), nil
}

func unitParts(s string) []Part {
	if s == "" {
		return nil
	}
	core := strings.TrimFunc(s, isLiteralSpace)
	if core == "" {
		return []Part{{Type: "literal", Value: s}}
	}
	i := strings.Index(s, core)
	var out []Part
	if i > 0 {
		out = append(out, Part{Type: "literal", Value: s[:i]})
	}
	out = append(out, Part{Type: "unit", Value: core})
	if rest := s[i+len(core):]; rest != "" {
		out = append(out, Part{Type: "literal", Value: rest})
	}
	return out
}
