package intl

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// Part is one piece of a formatted number or date (formatToParts).
type Part struct {
	Type, Value string
	Source      string // formatRangeToParts: startRange, endRange or shared
}

// MaxIntegerDigits bounds what one format writes: a number past it (a
// huge BigInt, "1e1000000") is an error, not an allocation of its size.
const MaxIntegerDigits = 100_000

// ErrTooLarge is the error for a number past MaxIntegerDigits.
var ErrTooLarge = fmt.Errorf("the number has more than %d integer digits, too many to format", MaxIntegerDigits)

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
	case f.sys != latn && latn != nil:
		// Patterns the system lacks are latn's (ar-EG's arab has no
		// compact currency forms; ICU takes latn's).
		own := *f.sys
		own.Short = orMap(own.Short, latn.Short)
		own.Long = orMap(own.Long, latn.Long)
		own.CurrencyShort = orMap(own.CurrencyShort, latn.CurrencyShort)
		own.UnitPattern = orMap(own.UnitPattern, latn.UnitPattern)
		own.Percent = firstOf(own.Percent, latn.Percent)
		own.Currency = firstOf(own.Currency, latn.Currency)
		own.Accounting = firstOf(own.Accounting, latn.Accounting)
		own.Range = firstOf(own.Range, latn.Range)
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
		// Some locales write amounts of money with their own separators
		// (de-AT groups them with ".", not a space).
		f.sym = currencySymbols(f.sym)
		if o.CurrencyDisplay != "name" {
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

func orMap(a, b map[string]string) map[string]string {
	if len(a) == 0 {
		return b
	}
	return a
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
	preSpace, sufSpace                []Part // currency spacing
	cat                               string // the plural category of the outer affixes
	r                                 rounded
}

func (p pieces) all() []Part {
	out := make([]Part, 0, len(p.outerPre)+len(p.pre)+len(p.num)+len(p.suf)+len(p.outerSuf))
	for _, s := range [][]Part{p.outerPre, p.pre, p.preSpace, p.num, p.sufSpace, p.suf, p.outerSuf} {
		out = append(out, s...)
	}
	return mergeLiterals(out)
}

func (f *NumberFormat) pieces(x Decimal, approx bool) (pieces, error) {
	o := &f.opts
	var num []Part // the number's own parts
	var r rounded
	var err error
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
				num = append(num, Part{Type: "exponentSeparator", Value: f.sym["exponential"]})
				num = append(num, splitBidi(Part{Type: "exponentMinusSign", Value: f.sym["minusSign"]})...)
				num = append(num, Part{Type: "exponentInteger", Value: f.digits(strconv.Itoa(-exponent))})
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
			// The whole number's plural, compact or not: ICU rounds the
			// number as it is, unscaled ("1,2 миллиона литров", of
			// 1 234 567, many).
			pr := r
			if compactMult != 0 {
				if pr, err = roundNumber(x, o); err != nil {
					return pieces{}, err
				}
			}
			p.cat = f.plural.Select(OperandsOf(pr.Int, pr.Frac, 0))
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
			p.pre, p.preSpace, p.num, p.sufSpace, p.suf = nil, nil, nil, nil, nil
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
		p.pre, p.preSpace, p.num, p.sufSpace, p.suf = nil, nil, nil, nil, nil
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
