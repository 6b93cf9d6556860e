package intl

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FormatRangeToParts is ECMA-402 PartitionNumberRangePattern, with ICU's
// choices, which Node.js shows: affixes that are the same at both ends
// are written once when they are more than one character ("3–5 %", but
// "$3.00 – $5.00"), spaces go around the range sign when something is
// repeated, and two ends that look the same are one approximate value.
func (f *NumberFormat) FormatRangeToParts(x, y Decimal) ([]Part, error) {
	p1, err := f.pieces(x, false)
	if err != nil {
		return nil, err
	}
	p2, err := f.pieces(y, false)
	if err != nil {
		return nil, err
	}
	// A currency name or unit takes the range's plural (CLDR plural
	// ranges), so that "1–5 liters" shares it.
	if p1.cat != "" {
		cat := f.plural.SelectRange(p1.cat, p2.cat)
		for _, p := range []*pieces{&p1, &p2} {
			if p.cat != cat {
				p.cat = cat
				if err := f.outer(p); err != nil {
					return nil, err
				}
			}
		}
	}
	// Ends that round to the same value (sign included: -0 is not 0)
	// are one approximate value, as ICU's identity fallback.
	if (sameValue(x, y, true) || sameValue(p1.r.value, p2.r.value, false)) && text(p1.all()) == text(p2.all()) {
		p, err := f.pieces(x, true)
		if err != nil {
			return nil, err
		}
		return withSource(p.all(), "shared"), nil
	}
	collapseOuter := slices.Equal(p1.outerPre, p2.outerPre) && slices.Equal(p1.outerSuf, p2.outerSuf)
	collapseMiddle := collapseOuter && slices.Equal(p1.pre, p2.pre) && slices.Equal(p1.suf, p2.suf) &&
		utf8.RuneCountInString(text(p1.pre)+text(p1.suf)) > 1
	// Scientific notation's exponent is never shared: "1E2 – 2E3" (but
	// "∞-1E8": ICU looks at the first end).
	repeat := hasExponent(p1.num) || !collapseMiddle && text(p1.pre)+text(p1.suf) != "" || !collapseOuter && text(p1.outerPre)+text(p1.outerSuf) != ""

	rangePattern := firstOf(f.sys.Range, "{0}–{1}")
	sep := rangePattern
	if i := strings.Index(sep, "{0}"); i >= 0 {
		sep = sep[i+3:]
	}
	if i := strings.Index(sep, "{1}"); i >= 0 {
		sep = sep[:i]
	}
	if repeat {
		if r, _ := utf8.DecodeRuneInString(sep); !unicode.IsSpace(r) {
			sep = " " + sep
		}
		if r, _ := utf8.DecodeLastRuneInString(sep); !unicode.IsSpace(r) {
			sep += " "
		}
	}
	end := func(p pieces, source string) []Part {
		var out []Part
		if !collapseOuter {
			out = append(out, p.outerPre...)
		}
		if !collapseMiddle {
			out = append(out, p.pre...)
			out = append(out, p.preSpace...)
		} else if source == "startRange" {
			out = append(out, p.preSpace...)
		}
		out = append(out, p.num...)
		if !collapseMiddle {
			out = append(out, p.sufSpace...)
			out = append(out, p.suf...)
		} else if source == "endRange" {
			out = append(out, p.sufSpace...)
		}
		if !collapseOuter {
			out = append(out, p.outerSuf...)
		}
		return withSource(mergeLiterals(out), source)
	}
	var out []Part
	if collapseOuter {
		out = append(out, withSource(p1.outerPre, "shared")...)
	}
	if collapseMiddle {
		out = append(out, withSource(p1.pre, "shared")...)
	}
	out = append(out, end(p1, "startRange")...)
	out = append(out, Part{Type: "literal", Value: sep, Source: "shared"})
	out = append(out, end(p2, "endRange")...)
	if collapseMiddle {
		out = append(out, withSource(p2.suf, "shared")...)
	}
	if collapseOuter {
		out = append(out, withSource(p2.outerSuf, "shared")...)
	}
	return mergeSourced(out), nil
}

func text(parts []Part) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Value)
	}
	return b.String()
}

func withSource(parts []Part, source string) []Part {
	out := make([]Part, len(parts))
	for i, p := range parts {
		p.Source = source
		out[i] = p
	}
	return out
}

// mergeSourced joins neighbouring literals of the same source.
func mergeSourced(parts []Part) []Part {
	var out []Part
	for _, p := range parts {
		if n := len(out); n > 0 && p.Type == "literal" && out[n-1].Type == "literal" && out[n-1].Source == p.Source {
			out[n-1].Value += p.Value
			continue
		}
		out = append(out, p)
	}
	return out
}

// SelectNumber is ECMA-402 ResolvePlural: the category of x written
// with the digit options o (its rounding fields).
func (p *PluralRules) SelectNumber(x Decimal, o *NumberOptions) (string, error) {
	if x.NaN || x.Inf {
		return "other", nil
	}
	r, err := roundNumber(x, o)
	if err != nil {
		return "", err
	}
	return p.Select(OperandsOf(r.Int, r.Frac, 0)), nil
}

func hasExponent(num []Part) bool {
	for _, p := range num {
		if p.Type == "exponentSeparator" {
			return true
		}
	}
	return false
}

// sameValue compares two values: before rounding as numbers (-0 is 0),
// after it as ICU compares its decimals (-0 is not 0).
func sameValue(x, y Decimal, numeric bool) bool {
	if x.NaN || y.NaN {
		return false
	}
	if x.Inf || y.Inf {
		return x.Inf == y.Inf && x.Neg == y.Neg
	}
	if numeric && x.IsZero() && y.IsZero() {
		return true
	}
	return x.Neg == y.Neg && x.Exp == y.Exp && string(x.Digits) == string(y.Digits)
}
