package intl

import (
	"fmt"
	"math"
	"strings"
	"sync"
)

// relativeField is one unit's strings in one style (CLDR dateFields).
type relativeField struct {
	Relative map[string]string `json:"relative"` // "-1" → "yesterday"
	Future   map[string]string `json:"future"`   // plural category → "in {0} days"
	Past     map[string]string `json:"past"`
}

var relativeCache sync.Map // data locale → map[string]*relativeField

func relativeOf(locale string) map[string]*relativeField {
	if v, ok := relativeCache.Load(locale); ok {
		return v.(map[string]*relativeField)
	}
	var rec map[string]*relativeField
	if err := Record("relative", locale, &rec); err != nil {
		panic("intl: " + err.Error())
	}
	v, _ := relativeCache.LoadOrStore(locale, rec)
	return v.(map[string]*relativeField)
}

// RelativeFormat is an Intl.RelativeTimeFormat's formatting (ECMA-402
// §18): the number by a NumberFormat of the locale, the words by CLDR.
type RelativeFormat struct {
	nf      *NumberFormat
	fields  map[string]*relativeField
	style   string // long, short, narrow
	numeric bool   // numeric "always"
}

// NewRelativeFormat prepares a format for a data locale, style, numeric
// ("always" or "auto") and numbering system.
func NewRelativeFormat(dataLocale, style, numeric, nu string) (*RelativeFormat, error) {
	o := NumberOptions{Style: "decimal", MinInt: 1, MaxFrac: 3, RoundingType: "fractionDigits",
		UseGrouping: "auto", SignDisplay: "auto", NumberingSystem: nu}
	nf, err := NewNumberFormat(dataLocale, o)
	if err != nil {
		return nil, err
	}
	return &RelativeFormat{nf: nf, fields: relativeOf(dataLocale), style: style, numeric: numeric != "auto"}, nil
}

// field is a unit's strings in the format's style, or in a longer one
// where the locale has none.
func (f *RelativeFormat) field(unit string) *relativeField {
	suffixes := []string{"", "-short", "-narrow"}
	start := map[string]int{"long": 0, "short": 1, "narrow": 2}[f.style]
	for i := start; i >= 0; i-- {
		if fd := f.fields[unit+suffixes[i]]; fd != nil {
			return fd
		}
	}
	return nil
}

// FormatToParts is PartitionRelativeTimePattern: value (finite, as a
// number; valueString its ToString) of unit (singular, checked).
func (f *RelativeFormat) FormatToParts(value float64, valueString, unit string) ([]Part, error) {
	fd := f.field(unit)
	if fd == nil {
		return nil, fmt.Errorf("no data for unit %q", unit)
	}
	if !f.numeric {
		if s, ok := fd.Relative[valueString]; ok && s != "" {
			return []Part{{Type: "literal", Value: s}}, nil
		}
	}
	patterns := fd.Future
	if value < 0 || value == 0 && math.Signbit(value) {
		patterns = fd.Past
		value = -value
	}
	x := FromFloat(value)
	p, err := f.nf.pieces(x, false)
	if err != nil {
		return nil, err
	}
	num := p.all()
	r, err := f.nf.Round(x)
	if err != nil {
		return nil, err
	}
	cat := f.nf.plural.Select(OperandsOf(r.Int, r.Frac, 0))
	tmpl := firstOf(patterns[cat], patterns["other"])
	var out []Part
	before, after, ok := strings.Cut(tmpl, "{0}")
	if before != "" {
		out = append(out, Part{Type: "literal", Value: before})
	}
	if ok {
		out = append(out, num...)
	}
	if after != "" {
		out = append(out, Part{Type: "literal", Value: after})
	}
	return out, nil
}
