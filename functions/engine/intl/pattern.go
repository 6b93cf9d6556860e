package intl

import (
	"strings"
	"unicode"
)

// pattern is a CLDR number pattern (UTS #35 §3.2) taken apart: the
// affixes of its positive and negative forms (still holding the special
// characters ¤ % ‰ - +, quotes removed) and its grouping sizes.
type pattern struct {
	posPrefix, posSuffix string
	negPrefix, negSuffix string
	hasNeg               bool
	primary, secondary   int // 0: no grouping
	zeros                int // the integer zeros (compact patterns: the scale)
}

// affix markers: the special characters of an affix, kept apart from
// the same characters quoted as literals.
const (
	markCurrency = '\uE000'
	markPercent  = '\uE001'
	markPerMille = '\uE002'
	markMinus    = '\uE003'
	markPlus     = '\uE004'
	markApprox   = '\uE005'
)

func parsePattern(p string) pattern {
	pos, neg, hasNeg := cutUnquoted(p, ';')
	var out pattern
	var number string
	out.posPrefix, number, out.posSuffix = splitAffixes(pos)
	out.primary, out.secondary, out.zeros = grouping(number)
	if hasNeg {
		out.hasNeg = true
		out.negPrefix, _, out.negSuffix = splitAffixes(neg)
	}
	return out
}

// cutUnquoted is strings.Cut at the first sep outside quotes.
func cutUnquoted(s string, sep rune) (string, string, bool) {
	quoted := false
	for i, c := range s {
		switch {
		case c == '\'':
			quoted = !quoted
		case c == sep && !quoted:
			return s[:i], s[i+len(string(sep)):], true
		}
	}
	return s, "", false
}

// splitAffixes cuts a subpattern into prefix, number and suffix, the
// affixes with their special characters marked.
func splitAffixes(s string) (prefix, number, suffix string) {
	var pre, num, suf strings.Builder
	state := 0 // 0 prefix, 1 number, 2 suffix
	quoted := false
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		if c == '\'' {
			if i+1 < len(rs) && rs[i+1] == '\'' { // '' is a quote
				i++
				c = '\''
			} else {
				quoted = !quoted
				continue
			}
		} else if !quoted && strings.ContainsRune("#0123456789,.@E", c) && state < 2 {
			state = 1
			num.WriteRune(c)
			continue
		}
		if state == 1 {
			state = 2
		}
		if !quoted {
			switch c {
			case '¤':
				c = markCurrency
			case '%':
				c = markPercent
			case '‰':
				c = markPerMille
			case '-':
				c = markMinus
			case '+':
				c = markPlus
			}
		}
		if state == 0 {
			pre.WriteRune(c)
		} else {
			suf.WriteRune(c)
		}
	}
	return pre.String(), num.String(), suf.String()
}

// grouping reads the grouping sizes of a number pattern: "#,##,##0.###"
// has 3 then 2.
func grouping(number string) (primary, secondary, zeros int) {
	intPart, _, _ := strings.Cut(number, ".")
	zeros = strings.Count(intPart, "0")
	groups := strings.Split(intPart, ",")
	if len(groups) < 2 {
		return 0, 0, zeros
	}
	primary = len(groups[len(groups)-1])
	secondary = primary
	if len(groups) >= 3 {
		secondary = len(groups[len(groups)-2])
	}
	return primary, secondary, zeros
}

// matchesCurrencySpacing reports whether a currency symbol's character
// next to the number asks for a space: CLDR's currencyMatch is
// [[:^S:]&[:^Z:]] in every locale (letters, as in "USD", not "$").
func matchesCurrencySpacing(c rune) bool {
	return !unicode.In(c, unicode.S, unicode.Z)
}
