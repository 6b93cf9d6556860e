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
	negHasMinus := strings.ContainsRune(p.negPrefix+p.negSuffix, markMinus)
	useNeg := p.hasNeg && (signum == -1 || signum == 1 && negHasMinus)
	prefix, suffix := p.posPrefix, p.posSuffix
	if useNeg {
		prefix, suffix = p.negPrefix, p.negSuffix
	}
	if !useNeg && signum != 0 {
		prefix = string(markMinus) + prefix
	}
	// "Approximately" (a range whose ends look the same) goes where the
	// sign goes, as ICU puts it: before it, or first when there is none;
	// a negative subpattern without a minus sign leaves no place for it.
	if approx {
		if i := strings.IndexRune(prefix+suffix, markMinus); i >= 0 && (useNeg || signum != 0) {
			if i < len(prefix) {
				prefix = prefix[:i] + string(markApprox) + prefix[i:]
			} else {
				j := i - len(prefix)
				suffix = suffix[:j] + string(markApprox) + suffix[j:]
			}
		} else if !useNeg {
			prefix = string(markApprox) + prefix
		}
	}
	pre := f.expandAffix(prefix, signum, compact)
	suf := f.expandAffix(suffix, signum, compact)
	// Currency spacing (CLDR currencySpacing): a space between a currency
	// symbol that ends in a letter and a digit.
	if n := len(pre); n > 0 && pre[n-1].Type == "currency" && startsWithDigit(num) {
		if c, _ := utf8.DecodeLastRuneInString(pre[n-1].Value); matchesCurrencySpacing(c) {
			pre = append(pre, Part{Type: "literal", Value: f.sys.Spacing.Before.InsertBetween})
		}
	}
	if len(suf) > 0 && suf[0].Type == "currency" && endsWithDigit(num) {
		if c, _ := utf8.DecodeRuneInString(suf[0].Value); matchesCurrencySpacing(c) {
			suf = append([]Part{{Type: "literal", Value: f.sys.Spacing.After.InsertBetween}}, suf...)
		}
	}
	return pieces{pre: mergeLiterals(pre), num: num, suf: mergeLiterals(suf)}
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
func (f *NumberFormat) expandAffix(a string, signum int, compact bool) []Part {
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
			if signum == 1 {
				p = Part{Type: "plusSign", Value: f.sym["plusSign"]}
			} else {
				p = Part{Type: "minusSign", Value: f.sym["minusSign"]}
			}
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
