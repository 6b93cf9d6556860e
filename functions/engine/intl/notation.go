package intl

import "strings"

// roundCompact is compact notation (as ICU's CompactHandler): the
// pattern for the number's magnitude gives a power of ten to divide by;
// when rounding carries into the next magnitude, that one's pattern is
// taken instead. It returns the affix pattern text ("" for none).
func (f *NumberFormat) roundCompact(x Decimal) (rounded, string, int, error) {
	if x.Exp > MaxIntegerDigits {
		return rounded{}, "", 0, ErrTooLarge
	}
	if x.IsZero() {
		r, err := roundNumber(x, &f.opts)
		return r, "", 0, err
	}
	mag := x.Exp - 1
	mult := f.compactMultiplier(mag)
	r, err := roundNumber(x.shift(-mult), &f.opts)
	if err != nil {
		return r, "", 0, err
	}
	if !r.value.IsZero() && r.value.Exp-1 != mag-mult {
		if m2 := f.compactMultiplier(mag + 1); m2 != mult {
			mult = m2
			if r, err = roundNumber(x.shift(-mult), &f.opts); err != nil {
				return r, "", 0, err
			}
		}
	}
	outMag := mag
	if !r.value.IsZero() {
		outMag = r.value.Exp - 1 + mult
	}
	key := f.compactKey(outMag)
	if key == "" {
		return r, "", mult, nil
	}
	cat := f.plural.Select(OperandsOf(r.Int, r.Frac, 0))
	text := f.compact[key+"-count-"+cat]
	if text == "" {
		text = f.compact[key+"-count-other"]
	}
	if strings.Trim(text, "0") == "" {
		return r, "", mult, nil
	}
	return r, text, mult, nil
}

// compactKey is the compact pattern's key for a magnitude ("1000"), the
// largest at most it; "" for none.
func (f *NumberFormat) compactKey(mag int) string {
	best := ""
	bestMag := -1
	for k := range f.compact {
		base, _, _ := strings.Cut(k, "-")
		m := len(base) - 1
		if m <= mag && m > bestMag && strings.HasPrefix(base, "1") {
			best, bestMag = base, m
		}
	}
	return best
}

// compactMultiplier is the power of ten a magnitude's compact pattern
// divides by: "00K" at 10000 divides by 1000.
func (f *NumberFormat) compactMultiplier(mag int) int {
	key := f.compactKey(mag)
	if key == "" {
		return 0
	}
	text := f.compact[key+"-count-other"]
	if text == "" || text == "0" {
		return 0
	}
	zeros := parsePattern(text).zeros
	return len(key) - 1 - (zeros - 1)
}

// roundScientific is scientific (engineering: exponents a multiple of
// three) notation: the mantissa rounded, and the exponent.
func (f *NumberFormat) roundScientific(x Decimal) (rounded, int, error) {
	if x.IsZero() {
		r, err := roundNumber(x, &f.opts)
		return r, 0, err
	}
	exp := x.Exp - 1
	if f.opts.Notation == "engineering" {
		exp = floorDiv(exp, 3) * 3
	}
	r, err := roundNumber(x.shift(-exp), &f.opts)
	if err != nil {
		return r, 0, err
	}
	// Rounding up may carry into the next power (9.99 → 10).
	limit := 1
	if f.opts.Notation == "engineering" {
		limit = 3
	}
	if r.value.Exp > limit {
		exp += limit
		r, err = roundNumber(x.shift(-exp), &f.opts)
	}
	return r, exp, err
}

func floorDiv(a, b int) int {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
