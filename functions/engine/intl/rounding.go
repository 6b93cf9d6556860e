package intl

import (
	"strconv"
	"strings"
)

// Round is x rounded as the options say (ECMA-402 FormatNumericToString,
// without the sign): its integer and fraction digits, ASCII.
func (f *NumberFormat) Round(x Decimal) (rounded, error) {
	return roundNumber(x, &f.opts)
}

func roundNumber(x Decimal, o *NumberOptions) (rounded, error) {
	if x.Exp > MaxIntegerDigits {
		return rounded{}, ErrTooLarge
	}
	mode := o.RoundingMode
	if mode == "" {
		mode = "halfExpand"
	}
	var r rounded
	switch o.RoundingType {
	case "significantDigits":
		r = toRawPrecision(x, o.MinSig, o.MaxSig, mode)
	case "morePrecision", "lessPrecision":
		s := toRawPrecision(x, o.MinSig, o.MaxSig, mode)
		fx := toRawFixed(x, o.MinFrac, o.MaxFrac, mode)
		if (o.RoundingType == "morePrecision") == (s.magnitude <= fx.magnitude) {
			r = s
		} else {
			r = fx
		}
	default:
		if o.RoundingIncrement > 1 {
			r = toRawFixedIncrement(x, o.MinFrac, o.MaxFrac, o.RoundingIncrement, mode)
		} else {
			r = toRawFixed(x, o.MinFrac, o.MaxFrac, mode)
		}
	}
	if o.StripIfInteger && strings.Trim(r.Frac, "0") == "" {
		r.Frac = ""
	}
	if len(r.Int) < o.MinInt {
		r.Int = strings.Repeat("0", o.MinInt-len(r.Int)) + r.Int
	}
	return r, nil
}

// toRawFixedIncrement rounds to a multiple of inc units of the last
// fraction place (roundingIncrement): x/inc rounded to an integer, times
// inc. inc divides a power of ten, so x/inc is exact: x × (10^k/inc) / 10^k.
func toRawFixedIncrement(x Decimal, minF, maxF, inc int, mode RoundingMode) rounded {
	k := len(strconv.Itoa(inc)) // 10^k / inc is an integer for inc in 1,2,5,10,20,25,…
	pow := 1
	for range k {
		pow *= 10
	}
	q := mulSmall(x, pow/inc).shift(-k) // x / inc
	q = q.roundAt(q.Exp+maxF, mode)     // an integer number of units
	r := mulSmall(q, inc)
	return rounded{Int: intDigits(r), Frac: fracDigits(r, minF), magnitude: -maxF, value: r}
}

// mulSmall is x × m for a small m > 0.
func mulSmall(x Decimal, m int) Decimal {
	if len(x.Digits) == 0 || m == 1 {
		return x
	}
	digits := make([]byte, len(x.Digits)+8)
	carry := 0
	j := len(digits)
	for i := len(x.Digits) - 1; i >= 0; i-- {
		v := int(x.Digits[i]-'0')*m + carry
		j--
		digits[j] = byte('0' + v%10)
		carry = v / 10
	}
	for carry > 0 {
		j--
		digits[j] = byte('0' + carry%10)
		carry /= 10
	}
	grown := len(digits) - j - len(x.Digits)
	out := Decimal{Neg: x.Neg, Exp: x.Exp + grown}
	out.Digits = []byte(strings.TrimRight(string(digits[j:]), "0"))
	return out
}
