package intl

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// NumberOptions are a NumberFormat's resolved options (ECMA-402 §15),
// read and checked by the caller.
type NumberOptions struct {
	Style           string // decimal, percent, currency
	Currency        string // ISO 4217, upper case
	Unit            string // a sanctioned unit, or two joined by -per-
	UnitDisplay     string // short, narrow, long
	CurrencyDisplay string // symbol, narrowSymbol, code, name
	CurrencySign    string // standard, accounting
	Notation        string // standard, scientific, engineering, compact
	CompactDisplay  string // short, long

	MinInt, MinFrac, MaxFrac, MinSig, MaxSig int
	RoundingType                             string // fractionDigits, significantDigits, morePrecision, lessPrecision
	RoundingMode                             RoundingMode
	RoundingIncrement                        int
	StripIfInteger                           bool // trailingZeroDisplay: stripIfInteger

	UseGrouping     string // always, auto, min2, or "" for none
	SignDisplay     string // auto, never, always, exceptZero, negative
	NumberingSystem string
}

// Part is one piece of a formatted number (formatToParts).
type Part struct {
	Type, Value string
	Source      string // formatRangeToParts: startRange, endRange or shared
}

// MaxIntegerDigits bounds what one format writes: a number past it (a
// huge BigInt, "1e1000000") is an error, not an allocation of its size.
const MaxIntegerDigits = 100_000

// ErrTooLarge is the error for a number past MaxIntegerDigits.
var ErrTooLarge = fmt.Errorf("the number has more than %d integer digits, too many to format", MaxIntegerDigits)

// numberSystemData is one numbering system's share of numbers.json.
type numberSystemData struct {
	Symbols       map[string]string `json:"symbols"`
	Decimal       string            `json:"decimal"`
	Percent       string            `json:"percent"`
	Currency      string            `json:"currency"`
	Accounting    string            `json:"accounting"`
	Short         map[string]string `json:"short"`
	Long          map[string]string `json:"long"`
	CurrencyShort map[string]string `json:"currencyShort"`
	UnitPattern   map[string]string `json:"unitPattern"`
	Range         string            `json:"range"`
	Spacing       struct {
		Before struct {
			InsertBetween string `json:"insertBetween"`
		} `json:"beforeCurrency"`
		After struct {
			InsertBetween string `json:"insertBetween"`
		} `json:"afterCurrency"`
	} `json:"spacing"`
}

type numbersRecord struct {
	MinimumGroupingDigits string                       `json:"minimumGroupingDigits"`
	Systems               map[string]*numberSystemData `json:"systems"`
}

// CLDR data are immutable: decoded once per process and locale.
var numbersCache, currenciesCache sync.Map

func numbersOf(locale string) *numbersRecord {
	if v, ok := numbersCache.Load(locale); ok {
		return v.(*numbersRecord)
	}
	var rec numbersRecord
	if err := Record("numbers", locale, &rec); err != nil {
		panic("intl: " + err.Error())
	}
	v, _ := numbersCache.LoadOrStore(locale, &rec)
	return v.(*numbersRecord)
}

func currenciesOf(locale string) map[string]map[string]string {
	if v, ok := currenciesCache.Load(locale); ok {
		return v.(map[string]map[string]string)
	}
	var rec map[string]map[string]string
	if err := Record("currencies", locale, &rec); err != nil {
		panic("intl: " + err.Error())
	}
	v, _ := currenciesCache.LoadOrStore(locale, rec)
	return v.(map[string]map[string]string)
}

var systemSymbolTable = sync.OnceValue(func() map[string]map[string]string {
	var m map[string]map[string]string
	mustDecode("systemsymbols", &m)
	return m
})

var currencyDigitTable = sync.OnceValue(func() map[string]string {
	var m map[string]string
	mustDecode("currencydigits", &m)
	return m
})

// CurrencyDigits is the number of fraction digits of a currency (upper
// case ISO code): CLDR's, which is what ICU, and so Node.js, use.
func CurrencyDigits(code string) int {
	m := currencyDigitTable()
	d, ok := m[code]
	if !ok {
		d = m["DEFAULT"]
	}
	n, _ := strconv.Atoi(d)
	return n
}

// NumberFormat formats numbers for one data locale and resolved options.
// It is immutable once made, so a runtime may keep it.
type NumberFormat struct {
	opts     NumberOptions
	sys      *numberSystemData
	sym      map[string]string
	minGroup int
	pat      pattern
	plural   *PluralRules
	currency string // the symbol, code or (for name) "" as displayed
	names    map[string]string
	compact  map[string]string
	units    map[string]map[string]string // unit style: the display's
	// percentUnit: the unit "percent", short or narrow.
	percentUnit bool
}

// NewNumberFormat prepares a format; options it does not support are an
// error (the caller's RangeError).
func NewNumberFormat(dataLocale string, o NumberOptions) (*NumberFormat, error) {
	rec := numbersOf(dataLocale)
	f := &NumberFormat{opts: o, plural: Plurals(dataLocale, false)}
	ns := o.NumberingSystem
	// A system the locale has no patterns of takes its latn ones (and
	// the root's symbols of that system), as ICU does.
	latn := rec.Systems["latn"]
	f.sys = rec.Systems[ns]
	if f.sys == nil && ns != "latn" {
		if sym, ok := systemSymbolTable()[ns]; ok {
			f.sys = &numberSystemData{Symbols: sym}
		}
	}
	switch {
	case f.sys == nil:
		f.sys = latn
	case f.sys.Decimal == "" && latn != nil:
		own := *latn
		own.Symbols = map[string]string{}
		for k, v := range latn.Symbols {
			own.Symbols[k] = v
		}
		for k, v := range f.sys.Symbols {
			if v != "" {
				own.Symbols[k] = v
			}
		}
		f.sys = &own
	}
	f.sym = f.sys.Symbols
	f.minGroup, _ = strconv.Atoi(rec.MinimumGroupingDigits)
	if f.minGroup < 1 {
		f.minGroup = 1
	}
	switch o.UseGrouping {
	case "always":
		f.minGroup = 1
	case "min2":
		f.minGroup = 2
	}
	if o.RoundingMode == "" {
		f.opts.RoundingMode = "halfExpand"
	}
	p := f.sys.Decimal
	switch o.Style {
	case "percent":
		p = f.sys.Percent
	case "currency":
		cur := currenciesOf(dataLocale)[o.Currency]
		switch o.CurrencyDisplay {
		case "code":
			f.currency = o.Currency
		case "name":
			f.names = cur
			if f.names == nil {
				f.names = map[string]string{} // unknown currency: its code
			}
		case "narrowSymbol":
			f.currency = firstOf(cur["narrow"], cur["symbol"], o.Currency)
		default:
			f.currency = firstOf(cur["symbol"], o.Currency)
		}
		if o.CurrencyDisplay != "name" {
			// Some locales write amounts of money with their own
			// separators (de-AT groups them with ".", not a space).
			f.sym = currencySymbols(f.sym)
			p = f.sys.Currency
			if o.CurrencySign == "accounting" {
				p = f.sys.Accounting
			}
		}
	case "unit":
		if !IsSanctionedUnit(o.Unit) {
			return nil, fmt.Errorf("unit %q is not supported", o.Unit)
		}
		if o.Unit == "percent" && o.UnitDisplay != "long" {
			// ICU writes a short or narrow percent unit with the
			// locale's percent pattern, its sign the unit.
			p, f.percentUnit = f.sys.Percent, true
			break
		}
		f.units = unitsOf(dataLocale)[firstOf(o.UnitDisplay, "short")]
		if _, err := f.unitPattern("other"); err != nil {
			return nil, err
		}
	case "decimal", "":
	default:
		return nil, fmt.Errorf("style %q is not supported", o.Style)
	}
	switch o.Notation {
	case "standard", "", "scientific", "engineering":
	case "compact":
		f.compact = f.sys.Short
		if o.CompactDisplay == "long" && f.sys.Long != nil {
			f.compact = f.sys.Long
		}
		if o.Style == "currency" && o.CurrencyDisplay != "name" {
			f.compact = f.sys.CurrencyShort // CLDR has no long currency forms: ICU uses the short ones
		}
		if o.Style == "percent" || o.Style == "unit" && o.Unit == "percent" {
			// ICU writes a compact percentage as the unit percent, short:
			// "123K%", Arabic "12 ألف٪".
			f.units, f.percentUnit = unitsOf(dataLocale)["short"], false
			f.opts.Unit = "percent"
			p = f.sys.Decimal
		}
	default:
		return nil, fmt.Errorf("notation %q is not supported", o.Notation)
	}
	if o.RoundingIncrement > 1 && o.RoundingType != "fractionDigits" {
		return nil, errors.New("roundingIncrement needs fraction digits rounding")
	}
	f.pat = parsePattern(p)
	return f, nil
}

// currencySymbols are symbols with the currency decimal and group
// separators in place of the others, where the locale has them.
func currencySymbols(sym map[string]string) map[string]string {
	if sym["currencyDecimal"] == "" && sym["currencyGroup"] == "" {
		return sym
	}
	out := make(map[string]string, len(sym))
	for k, v := range sym {
		out[k] = v
	}
	out["decimal"] = firstOf(sym["currencyDecimal"], sym["decimal"])
	out["group"] = firstOf(sym["currencyGroup"], sym["group"])
	return out
}

func firstOf(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}

// Format is the formatted number as a string.
func (f *NumberFormat) Format(x Decimal) (string, error) {
	parts, err := f.FormatToParts(x)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Value)
	}
	return b.String(), nil
}

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

// FormatToParts is ECMA-402 PartitionNumberPattern.
func (f *NumberFormat) FormatToParts(x Decimal) ([]Part, error) {
	p, err := f.pieces(x, false)
	if err != nil {
		return nil, err
	}
	return p.all(), nil
}

// pieces are a formatted number taken apart as ICU's range formatting
// sees it: the number, the pattern's affixes around it (sign, currency,
// percent, compact), and the outer ones (a currency's name).
type pieces struct {
	outerPre, pre, num, suf, outerSuf []Part
	cat                               string // the plural category of the outer affixes
	r                                 rounded
}

func (p pieces) all() []Part {
	out := make([]Part, 0, len(p.outerPre)+len(p.pre)+len(p.num)+len(p.suf)+len(p.outerSuf))
	for _, s := range [][]Part{p.outerPre, p.pre, p.num, p.suf, p.outerSuf} {
		out = append(out, s...)
	}
	return mergeLiterals(out)
}

func (f *NumberFormat) pieces(x Decimal, approx bool) (pieces, error) {
	o := &f.opts
	var num []Part // the number's own parts
	var r rounded
	compactText, compactMult := "", 0
	exponent := 0
	switch {
	case x.NaN:
		num = []Part{{Type: "nan", Value: f.sym["nan"]}}
	case x.Inf:
		num = []Part{{Type: "infinity", Value: f.sym["infinity"]}}
	default:
		if o.Style == "percent" {
			x = x.shift(2)
		}
		var err error
		switch {
		case f.compact != nil:
			r, compactText, compactMult, err = f.roundCompact(x)
		case o.Notation == "scientific" || o.Notation == "engineering":
			r, exponent, err = f.roundScientific(x)
		default:
			r, err = roundNumber(x, o)
		}
		if err != nil {
			return pieces{}, err
		}
		num = f.numberParts(r)
		if o.Notation == "scientific" || o.Notation == "engineering" {
			if exponent < 0 {
				num = append(num, Part{Type: "exponentSeparator", Value: f.sym["exponential"]}, Part{Type: "exponentMinusSign", Value: f.sym["minusSign"]}, Part{Type: "exponentInteger", Value: f.digits(strconv.Itoa(-exponent))})
			} else {
				num = append(num, Part{Type: "exponentSeparator", Value: f.sym["exponential"]}, Part{Type: "exponentInteger", Value: f.digits(strconv.Itoa(exponent))})
			}
		}
	}
	zero := !x.NaN && !x.Inf && r.value.IsZero()
	signum := 0 // -1 shows a minus sign, +1 a plus sign
	switch o.SignDisplay {
	case "always":
		signum = 1
		if x.Neg {
			signum = -1
		}
	case "exceptZero":
		switch {
		case zero || x.NaN:
		case x.Neg:
			signum = -1
		default:
			signum = 1
		}
	case "negative":
		if x.Neg && !zero {
			signum = -1
		}
	case "never":
	default:
		if x.Neg {
			signum = -1
		}
	}
	var p pieces
	switch {
	case f.compact != nil && compactText != "":
		p = f.affixed(parsePattern(compactText), num, signum, true, approx)
	default:
		p = f.affixed(f.pat, num, signum, false, approx)
	}
	p.r = r
	if f.names != nil || f.units != nil {
		p.cat = "other"
		if !x.NaN && !x.Inf {
			// The whole number's plural, compact or not (ICU: "1,2
			// миллиона литров", of 1 200 000).
			whole := r.value.shift(compactMult)
			p.cat = f.plural.Select(OperandsOf(intDigits(whole), fracDigits(whole, len(r.Frac)-compactMult), compactMult))
		}
		if err := f.outer(&p); err != nil {
			return pieces{}, err
		}
	}
	return p, nil
}

// digits writes ASCII digits in the numbering system's.
func (f *NumberFormat) digits(s string) string { return Transliterate(s, f.opts.NumberingSystem) }

// numberParts are the integer (grouped), decimal and fraction parts.
func (f *NumberFormat) numberParts(r rounded) []Part {
	var out []Part
	in := r.Int
	g1, g2 := f.pat.primary, f.pat.secondary
	if f.opts.UseGrouping != "" && g1 > 0 && len(in) >= g1+f.minGroup {
		// The leftmost group, then the others at the secondary size, then
		// the primary group; cut from the left, in one pass.
		head := len(in) - g1
		first := head % g2
		if first == 0 {
			first = g2
		}
		groups := make([]string, 0, head/g2+2)
		groups = append(groups, in[:first])
		for i := first; i < head; i += g2 {
			groups = append(groups, in[i:i+g2])
		}
		groups = append(groups, in[head:])
		for i, g := range groups {
			if i > 0 {
				out = append(out, Part{Type: "group", Value: f.sym["group"]})
			}
			out = append(out, Part{Type: "integer", Value: f.digits(g)})
		}
	} else {
		out = append(out, Part{Type: "integer", Value: f.digits(in)})
	}
	if r.Frac != "" {
		out = append(out, Part{Type: "decimal", Value: f.sym["decimal"]}, Part{Type: "fraction", Value: f.digits(r.Frac)})
	}
	return out
}

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

// outer puts a currency's name (the locale's unit pattern, "{0} {1}",
// with the name) or a unit's pattern around the number, in the plural
// category p.cat. A pattern without "{0}" has no number (Arabic "لتر").
func (f *NumberFormat) outer(p *pieces) error {
	var tmpl string
	if f.names != nil {
		name := firstOf(f.names[p.cat], f.names["other"], f.names["name"], f.opts.Currency)
		up := f.sys.UnitPattern
		tmpl = strings.Replace(firstOf(up[p.cat], up["other"], "{0} {1}"), "{1}", "\uE010", 1)
		before, after, ok := strings.Cut(tmpl, "{0}")
		p.outerPre, p.outerSuf = nameParts(before, name), nameParts(after, name)
		if !ok {
			p.pre, p.num, p.suf = nil, nil, nil
		}
		return nil
	}
	tmpl, err := f.unitPattern(p.cat)
	if err != nil {
		return err
	}
	before, after, ok := strings.Cut(tmpl, "{0}")
	p.outerPre, p.outerSuf = unitParts(before), unitParts(after)
	if !ok {
		p.pre, p.num, p.suf = nil, nil, nil
	}
	return nil
}

// nameParts are the literals of a unit pattern's side, and the currency
// name where its placeholder (U+E010) is.
func nameParts(s, name string) []Part {
	var out []Part
	before, after, ok := strings.Cut(s, "\uE010")
	if before != "" {
		out = append(out, Part{Type: "literal", Value: before})
	}
	if ok {
		out = append(out, Part{Type: "currency", Value: name})
		if after != "" {
			out = append(out, Part{Type: "literal", Value: after})
		}
	}
	return out
}

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

// Categories are the plural categories a format's locale has (sorted as
// Node.js lists them: alphabetically, "other" last).
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
