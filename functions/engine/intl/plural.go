package intl

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Plural rules are CLDR 48's own (supplemental plurals.json and
// ordinals.json, generated into data/plurals.json) with the small
// evaluator below, rather than golang.org/x/text/feature/plural: x/text
// carries an older CLDR, and Node.js (ICU 78) uses CLDR 48's rules, so
// only the same rules give the same categories (e.g. French "many", the
// c/e operands).

// PluralRules are one locale's rules of a type (cardinal or ordinal)
// and, for cardinals, its plural ranges ("one" to "other" is "other").
type PluralRules struct {
	rules  []pluralRule      // sorted as Categories; "other" is the fallback
	ranges map[string]string // "one-other" → "other"
}

type pluralRule struct {
	category string
	cond     [][]relation // or of ands
}

type relation struct {
	operand byte  // n i v w f t c e
	mod     int64 // 0: none
	negate  bool  // !=
	ranges  [][2]int64
}

var pluralData = sync.OnceValue(func() map[string]map[string]map[string]string {
	var m map[string]map[string]map[string]string
	mustDecode("plurals", &m)
	return m
})

var pluralCache sync.Map // "cardinal/locale" → *PluralRules

// Plurals are the plural rules of a data locale: its own, or its
// nearest parent's, or the root's (only "other").
func Plurals(dataLocale string, ordinal bool) *PluralRules {
	kind := "cardinal"
	if ordinal {
		kind = "ordinal"
	}
	key := kind + "/" + dataLocale
	if v, ok := pluralCache.Load(key); ok {
		return v.(*PluralRules)
	}
	all := pluralData()[kind]
	src := all["und"]
	for l := dataLocale; l != ""; l = Parent(l) {
		if r, ok := all[l]; ok {
			src = r
			break
		}
		if base, _, _ := strings.Cut(l, "-"); base != l {
			if r, ok := all[base]; ok && Parent(l) == "und" {
				src = r
				break
			}
		}
	}
	p := &PluralRules{}
	if !ordinal {
		for l := dataLocale; l != ""; l = Parent(l) {
			base, _, _ := strings.Cut(l, "-")
			if r, ok := pluralData()["ranges"][l]; ok {
				p.ranges = r
				break
			} else if r, ok := pluralData()["ranges"][base]; ok {
				p.ranges = r
				break
			}
		}
	}
	for _, cat := range sortCategories(keys(src)) {
		p.rules = append(p.rules, pluralRule{category: cat, cond: parseCondition(src[cat])})
	}
	v, _ := pluralCache.LoadOrStore(key, p)
	return v.(*PluralRules)
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Categories are the locale's categories, as Node.js lists them.
func (p *PluralRules) Categories() []string {
	out := make([]string, 0, len(p.rules))
	for _, r := range p.rules {
		out = append(out, r.category)
	}
	return out
}

// parseCondition reads a rule (UTS #35 §5.1 syntax, samples removed):
// "v = 0 and i % 10 = 1 or f % 10 = 2..4".
func parseCondition(s string) [][]relation {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	var or [][]relation
	for _, andPart := range strings.Split(s, " or ") {
		var and []relation
		for _, rel := range strings.Split(andPart, " and ") {
			and = append(and, parseRelation(strings.TrimSpace(rel)))
		}
		or = append(or, and)
	}
	return or
}

func parseRelation(s string) relation {
	var r relation
	op := "="
	lhs, rhs, ok := strings.Cut(s, "!=")
	if ok {
		op = "!="
	} else {
		lhs, rhs, _ = strings.Cut(s, "=")
	}
	r.negate = op == "!="
	lhs = strings.TrimSpace(lhs)
	r.operand = lhs[0]
	if _, m, ok := strings.Cut(lhs, "%"); ok {
		r.mod, _ = strconv.ParseInt(strings.TrimSpace(m), 10, 64)
	}
	for _, item := range strings.Split(strings.TrimSpace(rhs), ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(item), "..")
		a, _ := strconv.ParseInt(lo, 10, 64)
		b := a
		if isRange {
			b, _ = strconv.ParseInt(hi, 10, 64)
		}
		r.ranges = append(r.ranges, [2]int64{a, b})
	}
	return r
}

// Operands are UTS #35's plural operands of a formatted number.
type Operands struct {
	i    string // integer digits
	frac string // fraction digits as shown (v of them)
	e    int    // compact exponent (c, e)
}

// OperandsOf are the operands of a number written with integer digits
// intPart and fraction digits frac (ASCII, trailing zeros kept).
func OperandsOf(intPart, frac string, exp int) Operands {
	return Operands{i: intPart, frac: frac, e: exp}
}

// value is an operand's value as an integer, and whether it has a
// fraction (n only); mod m when m > 0. A value too long for int64 is
// reported as not in any range (ok false) unless reduced by a modulus.
//
// Past 15 digits, i and n are taken as ICU (and so Node.js) takes them:
// n as a double, i as the double of its lowest 18 digits. The rules are
// written for small numbers; this keeps the categories of huge ones
// (a BigInt's) the same as Node's.
func (o Operands) value(op byte, m int64) (v int64, fraction, ok bool) {
	digitsMod := func(s string, truncate bool) (int64, bool) {
		s = strings.TrimLeft(s, "0")
		if len(s) > 15 && (op == 'n' || op == 'i') {
			if truncate && len(s) > 18 {
				s = s[len(s)-18:]
			}
			f, _ := strconv.ParseFloat("0"+s, 64)
			if m > 0 {
				f = math.Mod(f, float64(m))
			}
			if f >= 1e18 {
				return 0, false
			}
			return int64(f), true
		}
		if m > 0 {
			var r int64
			for i := 0; i < len(s); i++ {
				r = (r*10 + int64(s[i]-'0')) % m
			}
			return r, true
		}
		if len(s) > 18 {
			return 0, false
		}
		n, _ := strconv.ParseInt("0"+s, 10, 64)
		return n, true
	}
	t := strings.TrimRight(o.frac, "0")
	switch op {
	case 'n':
		v, ok = digitsMod(o.i, false)
		return v, t != "", ok
	case 'i':
		v, ok = digitsMod(o.i, true)
		return v, false, ok
	case 'v':
		return int64(len(o.frac)), false, true
	case 'w':
		return int64(len(t)), false, true
	case 'f':
		v, ok = digitsMod(o.frac, false)
		return v, false, ok
	case 't':
		v, ok = digitsMod(t, false)
		return v, false, ok
	case 'c', 'e':
		return int64(o.e), false, true
	}
	return 0, false, false
}

func (r relation) holds(o Operands) bool {
	v, fraction, ok := o.value(r.operand, r.mod)
	in := false
	if ok && !fraction {
		for _, rg := range r.ranges {
			if v >= rg[0] && v <= rg[1] {
				in = true
				break
			}
		}
	}
	return in != r.negate
}

// Select is the category of a number (ECMA-402 PluralRuleSelect).
func (p *PluralRules) Select(o Operands) string {
	for _, rule := range p.rules {
		if rule.category == "other" {
			continue
		}
		for _, and := range rule.cond {
			all := true
			for _, rel := range and {
				if !rel.holds(o) {
					all = false
					break
				}
			}
			if all {
				return rule.category
			}
		}
	}
	return "other"
}

// SelectRange is the category of a range from a number of category
// start to one of category end (CLDR plural ranges); "other" where the
// data have none, as ICU.
func (p *PluralRules) SelectRange(start, end string) string {
	if c, ok := p.ranges[start+"-"+end]; ok {
		return c
	}
	return "other"
}

// sortCategories sorts plural categories as Node.js lists them:
// alphabetically, "other" last.
func sortCategories(cats []string) []string {
	slices.SortFunc(cats, func(a, b string) int {
		switch {
		case a == b:
			return 0
		case a == "other":
			return 1
		case b == "other":
			return -1
		}
		return strings.Compare(a, b)
	})
	return cats
}
