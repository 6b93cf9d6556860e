package intl

import (
	"strings"
	"unicode/utf8"
)

// affixed puts the pattern's prefix and suffix, with the sign, around
// the number's parts, as ICU does: the negative subpattern serves a
// minus sign (and a plus sign, its minus replaced, when it has one);
// without it, the sign goes before the prefix.
func (f *NumberFormat) affixed(p pattern, num []Part, signum int, compact, approx bool) pieces {
	// As ICU (PatternStringUtils): a plus sign takes the place of the
	// minus sign; the negative subpattern serves a minus sign, and a
	// plus or "approximately" sign when it has a minus sign's place for
	// it; otherwise the sign goes first in the prefix. An accounting
	// pattern, "(¤#,##0.00)", has no place for "~": none is written.
	plusForMinus := signum == 1 && !strings.ContainsRune(p.posPrefix+p.posSuffix, markPlus)
	negHasMinus := strings.ContainsRune(p.negPrefix+p.negSuffix, markMinus)
	useNeg := p.hasNeg && (signum == -1 || negHasMinus && (plusForMinus || approx))
	prefix, suffix := p.posPrefix, p.posSuffix
	if useNeg {
		prefix, suffix = p.negPrefix, p.negSuffix
	}
	if !useNeg && (signum == -1 || plusForMinus || approx) {
		prefix = string(markMinus) + prefix
	}
	sign := string(markMinus)
	switch {
	case approx && plusForMinus:
		sign = string([]rune{markApprox, markPlus})
	case approx && signum == -1:
		sign = string([]rune{markApprox, markMinus})
	case approx:
		sign = string(markApprox)
	case plusForMinus:
		sign = string(markPlus)
	}
	prefix = strings.ReplaceAll(prefix, string(markMinus), sign)
	suffix = strings.ReplaceAll(suffix, string(markMinus), sign)
	pre := f.expandAffix(prefix, compact)
	suf := f.expandAffix(suffix, compact)
	// Currency spacing (CLDR currencySpacing): a space between a currency
	// symbol that ends in a letter and a digit. It is kept apart from the
	// affix: a range shares the affix, not the space ("USD∞-1.01").
	var preSpace, sufSpace []Part
	if n := len(pre); n > 0 && pre[n-1].Type == "currency" && startsWithDigit(num) {
		if c, _ := utf8.DecodeLastRuneInString(pre[n-1].Value); matchesCurrencySpacing(c) {
			preSpace = []Part{{Type: "literal", Value: f.sys.Spacing.Before.InsertBetween}}
		}
	}
	if len(suf) > 0 && suf[0].Type == "currency" && endsWithDigit(num) {
		if c, _ := utf8.DecodeRuneInString(suf[0].Value); matchesCurrencySpacing(c) {
			sufSpace = []Part{{Type: "literal", Value: f.sys.Spacing.After.InsertBetween}}
		}
	}
	return pieces{pre: mergeLiterals(pre), preSpace: preSpace, num: num, sufSpace: sufSpace, suf: mergeLiterals(suf)}
}

func startsWithDigit(num []Part) bool {
	return len(num) > 0 && num[0].Type == "integer"
}

func endsWithDigit(num []Part) bool {
	if len(num) == 0 {
		return false
	}
	t := num[len(num)-1].Type
	return t == "integer" || t == "fraction" || t == "exponentInteger"
}

// expandAffix turns an affix's marks into parts. In a compact pattern,
// the text that is not white space is the "compact" part.
func (f *NumberFormat) expandAffix(a string, compact bool) []Part {
	var out []Part
	lit := strings.Builder{}
	flush := func() {
		if lit.Len() == 0 {
			return
		}
		s := lit.String()
		lit.Reset()
		if !compact {
			out = append(out, Part{Type: "literal", Value: s})
			return
		}
		core := strings.TrimFunc(s, isLiteralSpace)
		if core == "" {
			out = append(out, Part{Type: "literal", Value: s})
			return
		}
		i := strings.Index(s, core)
		if i > 0 {
			out = append(out, Part{Type: "literal", Value: s[:i]})
		}
		out = append(out, Part{Type: "compact", Value: core})
		if rest := s[i+len(core):]; rest != "" {
			out = append(out, Part{Type: "literal", Value: rest})
		}
	}
	for _, c := range a {
		var p Part
		switch c {
		case markCurrency:
			p = Part{Type: "currency", Value: f.currency}
		case markPercent:
			p = Part{Type: "percentSign", Value: f.sym["percentSign"]}
			if f.percentUnit {
				p.Type = "unit"
			}
		case markPerMille:
			p = Part{Type: "percentSign", Value: f.sym["perMille"]}
		case markMinus:
			p = Part{Type: "minusSign", Value: f.sym["minusSign"]}
		case markPlus:
			p = Part{Type: "plusSign", Value: f.sym["plusSign"]}
		case markApprox:
			p = Part{Type: "approximatelySign", Value: f.sym["approximatelySign"]}
		default:
			lit.WriteRune(c)
			continue
		}
		flush()
		out = append(out, splitBidi(p)...)
	}
	flush()
	return out
}

// splitBidi leaves a symbol's bidi marks out of its part, as literals
// (ICU's fields cover "-", not "\u200e-").
func splitBidi(p Part) []Part {
	core := strings.TrimFunc(p.Value, isBidiMark)
	if core == p.Value || core == "" {
		return []Part{p}
	}
	i := strings.Index(p.Value, core)
	var out []Part
	if i > 0 {
		out = append(out, Part{Type: "literal", Value: p.Value[:i]})
	}
	out = append(out, Part{Type: p.Type, Value: core})
	if rest := p.Value[i+len(core):]; rest != "" {
		out = append(out, Part{Type: "literal", Value: rest})
	}
	return out
}

func isBidiMark(c rune) bool { return c == '\u200e' || c == '\u200f' || c == '\u061c' }

func isLiteralSpace(c rune) bool {
	return c == ' ' || c == '\u00a0' || c == '\u202f' || c == '\u200e' || c == '\u200f' || c == '\u061c'
}

func mergeLiterals(parts []Part) []Part {
	out := parts[:0]
	for _, p := range parts {
		if n := len(out); n > 0 && p.Type == "literal" && out[n-1].Type == "literal" {
			out[n-1].Value += p.Value
			continue
		}
		if p.Value == "" && p.Type == "literal" {
			continue
		}
		out = append(out, p)
	}
	return out
}
