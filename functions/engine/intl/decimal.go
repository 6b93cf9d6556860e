package intl

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Decimal is an exact decimal number, what ECMA-402 calls a mathematical
// value: formatting rounds it digit by digit, never through float64, so
// that 1.005 rounds as the digits the user sees ("1.005" → "1.01").
// Its value is 0.Digits × 10^Exp: Digits has no leading or trailing
// zeros, and zero has none at all.
type Decimal struct {
	Neg    bool
	Digits []byte // ASCII digits
	Exp    int    // the number of integer digits (may be ≤ 0)
	NaN    bool
	Inf    bool
}

// IsZero reports a zero (of either sign).
func (d Decimal) IsZero() bool { return !d.NaN && !d.Inf && len(d.Digits) == 0 }

// FromFloat is a number's exact shortest round-trip decimal, the digits
// of JavaScript's Number::toString.
func FromFloat(f float64) Decimal {
	switch {
	case math.IsNaN(f):
		return Decimal{NaN: true}
	case math.IsInf(f, 0):
		return Decimal{Inf: true, Neg: f < 0}
	}
	d, _ := ParseDecimal(strconv.FormatFloat(f, 'e', -1, 64))
	d.Neg = math.Signbit(f)
	return d
}

// maxExponent bounds the exponents a string may give: past it, a value
// cannot be formatted within any budget anyway.
const maxExponent = 1 << 30

var errSyntax = errors.New("not a decimal")

// ParseDecimal reads a StringNumericLiteral (ECMA-262 §7.1.4.1.1) exactly,
// as Intl.NumberFormat reads strings (StringToIntlMathematicalValue):
// white space around, an optional sign, decimal digits with a fraction
// and an exponent, Infinity, or an unsigned 0x/0o/0b integer. The empty
// string is zero. Anything else is an error (the caller's NaN).
func ParseDecimal(s string) (Decimal, error) {
	s = strings.TrimFunc(s, isJSSpace)
	if s == "" {
		return Decimal{}, nil
	}
	if len(s) > 2 && s[0] == '0' {
		base := 0
		switch s[1] {
		case 'x', 'X':
			base = 16
		case 'o', 'O':
			base = 8
		case 'b', 'B':
			base = 2
		}
		if base != 0 {
			if digits := strings.TrimLeft(s[2:], "0"); len(digits) > MaxIntegerDigits {
				// Past the formattable, whatever its digits; not worth a
				// conversion that grows with their square.
				if !allBase(digits, base) {
					return Decimal{NaN: true}, errSyntax
				}
				return Decimal{Digits: []byte{'1'}, Exp: maxExponent}, nil
			}
			n, ok := new(big.Int).SetString(s[2:], base)
			if !ok || strings.ContainsAny(s[2:], "_+-") {
				return Decimal{NaN: true}, errSyntax
			}
			d, _ := ParseDecimal(n.String())
			return d, nil
		}
	}
	var d Decimal
	switch s[0] {
	case '-':
		d.Neg = true
		s = s[1:]
	case '+':
		s = s[1:]
	}
	if s == "Infinity" {
		d.Inf = true
		return d, nil
	}
	mant, exp := s, ""
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		mant, exp = s[:i], s[i+1:]
		if exp == "" {
			return Decimal{NaN: true}, errSyntax
		}
	}
	intPart, frac, hasDot := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) || hasDot && strings.Contains(frac, ".") {
		return Decimal{NaN: true}, errSyntax
	}
	e := 0
	if exp != "" {
		sign := 1
		switch exp[0] {
		case '-':
			sign, exp = -1, exp[1:]
		case '+':
			exp = exp[1:]
		}
		if exp == "" || !allDigits(exp) {
			return Decimal{NaN: true}, errSyntax
		}
		exp = strings.TrimLeft(exp, "0")
		if len(exp) > 10 {
			exp = "9999999999"
		}
		n, _ := strconv.Atoi("0" + exp)
		e = sign * min(n, maxExponent)
	}
	digits := intPart + frac
	lead := len(digits) - len(strings.TrimLeft(digits, "0"))
	digits = strings.TrimRight(digits[lead:], "0")
	if digits == "" {
		return d, nil
	}
	d.Digits = []byte(digits)
	d.Exp = len(intPart) - lead + e
	return d, nil
}

func allBase(s string, base int) bool {
	for _, c := range s {
		if _, err := strconv.ParseInt(string(c), base, 8); err != nil {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isJSSpace is ECMAScript's WhiteSpace and LineTerminator.
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
		return true
	}
	return r >= 0x2000 && r <= 0x200A
}

// RoundingMode is one of ECMA-402's nine (Table 15).
type RoundingMode string

// roundUp decides whether dropping digits rounds away from zero: first is
// the first dropped digit, rest whether any later one is not zero, odd
// whether the last kept digit is odd.
func (m RoundingMode) roundUp(neg bool, first byte, rest, odd bool) bool {
	if first == '0' && !rest {
		return false // exact
	}
	half := first > '5' || first == '5' && rest // above half
	tie := first == '5' && !rest
	switch m {
	case "ceil":
		return !neg
	case "floor":
		return neg
	case "expand":
		return true
	case "trunc":
		return false
	case "halfCeil":
		return half || tie && !neg
	case "halfFloor":
		return half || tie && neg
	case "halfTrunc":
		return half
	case "halfEven":
		return half || tie && odd
	default: // halfExpand
		return half || tie
	}
}

// roundAt keeps the first keep digits of d (keep may be ≤ 0: rounding
// at a place above the leading digit) and rounds by mode.
func (d Decimal) roundAt(keep int, mode RoundingMode) Decimal {
	if keep >= len(d.Digits) || d.IsZero() {
		return d
	}
	var first byte = '0'
	rest := true
	odd := false
	if keep == 0 {
		first, rest = d.Digits[0], len(d.Digits) > 1
	} else if keep > 0 {
		first, rest = d.Digits[keep], len(d.Digits) > keep+1
		odd = (d.Digits[keep-1]-'0')%2 == 1
	}
	up := mode.roundUp(d.Neg, first, rest, odd)
	out := Decimal{Neg: d.Neg}
	if keep <= 0 {
		if up {
			out.Digits, out.Exp = []byte{'1'}, d.Exp-keep+1
		}
		return out
	}
	digits := append([]byte(nil), d.Digits[:keep]...)
	out.Exp = d.Exp
	if up {
		i := keep - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
			out.Exp++
		} else {
			digits[i]++
		}
	}
	out.Digits = []byte(strings.TrimRight(string(digits), "0"))
	return out
}

// shift multiplies d by 10^n (percent: n = 2).
func (d Decimal) shift(n int) Decimal {
	if len(d.Digits) > 0 {
		d.Exp += n
	}
	return d
}

// rounded is a formatted magnitude: the digits of its integer and
// fraction parts, before grouping and localisation.
type rounded struct {
	Int, Frac string
	magnitude int // of the rounding (the place of its last kept digit)
	value     Decimal
}

// toRawFixed is ECMA-402 ToRawFixed: at most maxF fraction digits, at
// least minF.
func toRawFixed(d Decimal, minF, maxF int, mode RoundingMode) rounded {
	r := d.roundAt(d.Exp+maxF, mode)
	return rounded{Int: intDigits(r), Frac: fracDigits(r, minF), magnitude: -maxF, value: r}
}

// toRawPrecision is ECMA-402 ToRawPrecision: at most maxP significant
// digits, at least minP.
func toRawPrecision(d Decimal, minP, maxP int, mode RoundingMode) rounded {
	if d.IsZero() {
		return rounded{Int: "0", Frac: strings.Repeat("0", minP-1), magnitude: 1 - maxP, value: d}
	}
	e := d.Exp - 1 // the leading digit's place
	r := d.roundAt(maxP, mode)
	shown := max(minP, len(r.Digits)) // significant digits shown
	return rounded{Int: intDigits(r), Frac: fracDigits(r, shown-r.Exp), magnitude: e - maxP + 1, value: r}
}

// intDigits is the integer part of d, "0" for none.
func intDigits(d Decimal) string {
	if d.Exp <= 0 || len(d.Digits) == 0 {
		return "0"
	}
	if d.Exp <= len(d.Digits) {
		return string(d.Digits[:d.Exp])
	}
	return string(d.Digits) + strings.Repeat("0", d.Exp-len(d.Digits))
}

// fracDigits is the fraction part of d, padded with zeros to minF.
func fracDigits(d Decimal, minF int) string {
	var f string
	if len(d.Digits) > d.Exp {
		if d.Exp >= 0 {
			f = string(d.Digits[d.Exp:])
		} else {
			f = strings.Repeat("0", -d.Exp) + string(d.Digits)
		}
	}
	if len(f) < minF {
		f += strings.Repeat("0", minF-len(f))
	}
	return f
}
