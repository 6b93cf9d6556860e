package intl

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Date ranges (formatRange) in the manner of ICU's DateIntervalFormat:
// the locale's intervalFormats pattern for the format's skeleton and the
// largest field in which the two dates differ ("MMM d – d, y" when the
// days differ), else the fallback "{0} – {1}" around two whole dates.

// FormatRange formats the range from x to y (valid time values) into
// parts, each with its source: startRange, endRange or shared. As V8
// does: one date, formatted as format does, when the dates differ in no
// field the pattern shows or anything finer; else ICU's interval formats
// over the pattern's skeleton (its patterns generated anew, without
// V8's hour widths).
func (f *DateTimeFormat) FormatRange(x, y float64, z Zone) ([]Part, error) {
	if math.IsNaN(x) || math.IsNaN(y) || math.Abs(x) > MaxTime || math.Abs(y) > MaxTime {
		return nil, fmt.Errorf("Invalid time value")
	}
	tx, ty := time.UnixMilli(int64(x)).In(z.Loc), time.UnixMilli(int64(y)).In(z.Loc)
	diff := largestDifference(tx, ty)
	if diff == 0 && int64(x)%1000 != int64(y)%1000 {
		diff = 'S'
	}
	if diff == 0 || !f.showsLevel(diff) {
		// One date, as formatToParts writes it (and formatRange as format
		// does, plain spaces for narrow ones: see RangeString).
		a, err := f.FormatToParts(x, z)
		for i := range a {
			a[i].Source = "shared"
		}
		return a, err
	}
	skel := parseSkeleton(f.Pattern)
	hourChar := skel.chars[fHour]
	regen := func(s skeleton) *DateTimeFormat {
		p := f.cal.generate(&s, f.decimal, false)
		if hourChar != 0 {
			p = replaceHourCycle(p, hourChar)
		}
		return f.sub(p)
	}
	mask := skel.mask()
	hasDate, hasTime := mask&dateMask != 0, mask&^dateMask != 0
	dayOrMore := diff == 'G' || diff == 'y' || diff == 'M' || diff == 'd'
	switch {
	case hasTime && !hasDate && dayOrMore:
		// Times on different days: each with its date.
		full := skel
		full.set('y', 1)
		full.set('M', 1)
		full.set('d', 1)
		return f.fallbackParts(regen(full), x, y, z), nil
	case hasDate && hasTime && dayOrMore:
		// Each date whole, with the fields down to the one that differs
		// that the skeleton lacks (ICU prefixes d, then M, y and G).
		full := skel
		for _, c := range []byte{'d', 'M', 'y', 'G'} {
			if full.types[fieldOf(c)] == 0 {
				full.set(c, 1)
			}
			if c == diff || c == 'd' && diff == 'd' {
				break
			}
		}
		return f.fallbackParts(regen(full), x, y, z), nil
	case hasDate && hasTime:
		// One date, and the range of times: "Jan 1, 1970, 12:00 – 1:00 AM".
		dateSkel, timeSkel := skel, skel
		for fld := range nFields {
			if 1<<fld&dateMask != 0 {
				timeSkel.clear(fld)
			} else {
				dateSkel.clear(fld)
			}
		}
		// ICU's interval skeletons have single letters for the time
		// fields: a zone name is the short one there (zzzz → z).
		for _, fld := range []int{fHour, fMinute, fSecond, fZone} {
			if timeSkel.types[fld] != 0 {
				timeSkel.set(timeSkel.chars[fld], 1)
			}
		}
		timeParts, ok := f.intervalParts(timeSkel, diff, tx, ty, z)
		if !ok {
			timeParts = f.fallbackParts(regen(timeSkel), x, y, z)
		}
		glue := f.cal.DateTimeFormats["medium"] // ICU's default glue, whatever the date's style
		var text strings.Builder                // the glue's literal text, unquoted
		for _, t := range parseDatePattern(glue) {
			text.WriteString(t.lit)
		}
		return resolveBraces(splitBraces(text.String()), timeParts, func() []Part {
			dp, _ := regen(dateSkel).FormatToParts(x, z)
			for i := range dp {
				dp[i].Source = "shared"
			}
			return dp
		}), nil
	}
	if parts, ok := f.intervalParts(skel, diff, tx, ty, z); ok {
		return parts, nil
	}
	return f.fallbackParts(regen(skel), x, y, z), nil
}

// levels rank pattern fields as ICU's isFieldUnitIgnored does.
var levels = map[byte]int{'G': 0, 'y': 10, 'M': 20, 'L': 20, 'd': 30, 'E': 30, 'c': 30, 'a': 40, 'b': 40, 'B': 40,
	'h': 50, 'H': 50, 'K': 50, 'k': 50, 'm': 60, 's': 70, 'S': 80}

// showsLevel tells whether the pattern shows the field of a difference
// (a pattern letter) or a finer one.
func (f *DateTimeFormat) showsLevel(diff byte) bool {
	want := levels[diff]
	for _, t := range f.tokens {
		if l, ok := levels[t.field]; ok && t.field != 0 && l >= want {
			return true
		}
	}
	return false
}

// RangeString is formatRange's string of FormatRange's parts: a single
// date as Format writes it, a range as is (V8 changes narrow no-break
// spaces in the one, not the other).
func RangeString(parts []Part) string {
	var b strings.Builder
	single := true
	for _, p := range parts {
		b.WriteString(p.Value)
		single = single && p.Source == "shared"
	}
	if single {
		return strings.ReplaceAll(b.String(), "\u202f", " ")
	}
	return b.String()
}

// sub is a format of another pattern with f's data.
func (f *DateTimeFormat) sub(pattern string) *DateTimeFormat {
	g := *f
	g.Pattern, g.tokens = pattern, parseDatePattern(pattern)
	return &g
}

// patternOf is the part of a pattern's tokens that has the skeleton's
// fields (the time of a date-time pattern), trimmed of the literals
// around it.
func (s skeleton) patternOf(tokens []token) string {
	first, last := -1, -1
	for i, t := range tokens {
		if f := fieldOf(t.field); t.field != 0 && f >= 0 && s.types[f] != 0 || t.field == 'a' && s.types[fHour] != 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	var b strings.Builder
	for _, t := range tokens[max(first, 0) : last+1] {
		if t.field == 0 {
			b.WriteString(quote(t.lit))
		} else {
			b.WriteString(strings.Repeat(string(t.field), t.n))
		}
	}
	return b.String()
}

// largestDifference is the pattern letter of the largest calendar field
// in which two times differ (0 if none above milliseconds).
func largestDifference(a, b time.Time) byte {
	switch {
	case (a.Year() > 0) != (b.Year() > 0):
		return 'G'
	case a.Year() != b.Year():
		return 'y'
	case a.Month() != b.Month():
		return 'M'
	case a.Day() != b.Day():
		return 'd'
	case (a.Hour() < 12) != (b.Hour() < 12):
		return 'a'
	case a.Hour() != b.Hour():
		return 'H'
	case a.Minute() != b.Minute():
		return 'm'
	case a.Second() != b.Second():
		return 's'
	}
	return 0
}

// intervalParts formats the range with the locale's interval pattern
// for the skeleton and the largest difference, if it has one.
func (f *DateTimeFormat) intervalParts(skel skeleton, diff byte, tx, ty time.Time, z Zone) ([]Part, bool) {
	if skel.chars[fDayPeriod] == 'a' {
		skel.clear(fDayPeriod) // CLDR's interval skeletons leave it implicit
	}
	hour := skel.chars[fHour]
	twelve := hour == 'h' || hour == 'K'
	key := diff
	switch diff {
	case 'a':
		if !twelve {
			key = 'H'
		}
	case 'H':
		if twelve {
			key = 'h'
		}
	case 's', 0:
		return nil, false
	}
	if skel.chars[fDayPeriod] == 'B' && diff == 'a' {
		key = 'B'
	}
	// ICU matches a specific zone name (z) to the intervals of the
	// generic one (v), and writes it back as z, the width the pattern's.
	zoneZ := skel.chars[fZone] == 'z'
	want := skel
	if zoneZ {
		skel.set('v', skel.lens[fZone])
	}
	if !f.cal.hasIntervals(&skel, twelve) {
		return nil, false // ICU: no interval skeleton of these fields, the fallback for all
	}
	best, bestPattern := f.cal.intervalFor(&skel, key, twelve)
	if best == nil && fieldOf(diff) >= 0 && skel.types[fieldOf(diff)] == 0 {
		// No pattern for a field the skeleton lacks (the year of "MMMd"):
		// ICU looks at the skeleton with that field ("yMMMd").
		ext := skel
		ext.set(diff, 1)
		best, bestPattern = f.cal.intervalFor(&ext, key, twelve)
	}
	if best == nil {
		return nil, false
	}
	pattern := widen(bestPattern, best, &want)
	if hour != 0 {
		pattern = replaceHourCycle(pattern, hour)
	}
	if zoneZ {
		pattern = replaceField(pattern, 'v', 'z')
	}
	return f.splitInterval(pattern, tx, ty, z), true
}

// replaceField writes a pattern's fields of one letter with another.
func replaceField(pattern string, from, to byte) string {
	var b strings.Builder
	for _, t := range parseDatePattern(pattern) {
		switch {
		case t.field == 0:
			b.WriteString(quote(t.lit))
		case t.field == from:
			b.WriteString(strings.Repeat(string(to), t.n))
		default:
			b.WriteString(strings.Repeat(string(t.field), t.n))
		}
	}
	return b.String()
}

// sameFields tells whether an interval skeleton has the fields of skel,
// written with the same characters (ICU compares skeletons by letter:
// a stand-alone LLLL finds no MMMM).
func sameFields(skel, cand *skeleton, twelve bool) bool {
	if cand.mask() != skel.mask() {
		return false
	}
	for f := range nFields {
		if f != fHour && skel.chars[f] != cand.chars[f] {
			return false
		}
	}
	return skel.chars[fHour] == 0 || twelve == (cand.chars[fHour] == 'h' || cand.chars[fHour] == 'K')
}

// hasIntervals tells whether the locale has interval patterns for
// skel's fields at all.
func (c *calendarData) hasIntervals(skel *skeleton, twelve bool) bool {
	for name := range c.Intervals {
		cand := parseSkeleton(name)
		if cand.chars[fDayPeriod] == 'a' {
			cand.clear(fDayPeriod)
		}
		if sameFields(skel, &cand, twelve) {
			return true
		}
	}
	return false
}

// intervalFor is the interval pattern, for a difference (key), of the
// interval skeleton with the same fields as skel and the closest widths.
func (c *calendarData) intervalFor(skel *skeleton, key byte, twelve bool) (*skeleton, string) {
	var best *skeleton
	var bestPattern, bestName string
	bestDist := math.MaxInt
	for name, patterns := range c.Intervals {
		p, ok := patterns[string(key)]
		if !ok && key == 'B' {
			p, ok = patterns["h"]
		}
		if key == 'a' && patterns["B"] != "" && usesFlexiblePeriod(c.Available[name]) {
			p = patterns["B"] // zh-TW writes its hours with 清晨, 晚上: so do its ranges
		}
		if !ok {
			continue
		}
		cand := parseSkeleton(name)
		if cand.chars[fDayPeriod] == 'a' {
			cand.clear(fDayPeriod)
		}
		if !sameFields(skel, &cand, twelve) {
			continue
		}
		d, _ := distance(skel, &cand, skel.mask())
		if d < bestDist || d == bestDist && name < bestName {
			c := cand
			best, bestPattern, bestDist, bestName = &c, p, d, name
		}
	}
	return best, bestPattern
}

// usesFlexiblePeriod tells whether a pattern has a B field.
func usesFlexiblePeriod(pattern string) bool {
	for _, t := range parseDatePattern(pattern) {
		if t.field == 'B' {
			return true
		}
	}
	return false
}

// widen gives an interval pattern's text fields the widths the format
// asks for (EEEE where the interval skeleton has E), as ICU's
// adjustFieldWidth: only a field written as in the skeleton (not ccc for
// E) and as wide as there; numeric widths stay the pattern's, ICU drops
// them from the skeleton.
func widen(pattern string, best, want *skeleton) string {
	var b strings.Builder
	for _, t := range parseDatePattern(pattern) {
		if t.field == 0 {
			b.WriteString(quote(t.lit))
			continue
		}
		n := t.n
		if fld := fieldOf(t.field); fld >= 0 && want.types[fld] != 0 && best.types[fld] != 0 && fld != fHour {
			same := want.chars[fld] == t.field || t.field == 'L' && want.chars[fld] == 'M'
			if same && want.types[fld] < 0 && t.n == best.lens[fld] && want.lens[fld] > best.lens[fld] {
				n = want.lens[fld]
			}
		}
		b.WriteString(strings.Repeat(string(t.field), n))
	}
	return b.String()
}

// splitInterval formats an interval pattern: the part before its first
// repeated field with the start, the rest with the end. The fields that
// both parts have (and what lies between them) belong to their date's
// range; the rest is shared.
func (f *DateTimeFormat) splitInterval(pattern string, tx, ty time.Time, z Zone) []Part {
	tokens := parseDatePattern(pattern)
	seen := map[byte]bool{}
	split := len(tokens)
	for i, t := range tokens {
		if t.field == 0 {
			continue
		}
		if seen[t.field] {
			split = i
			break
		}
		seen[t.field] = true
	}
	first, second := tokens[:split], tokens[split:]
	in := func(list []token) map[byte]bool {
		m := map[byte]bool{}
		for _, t := range list {
			if t.field != 0 {
				m[t.field] = true
			}
		}
		return m
	}
	inFirst, inSecond := in(first), in(second)
	var out []Part
	emit := func(list []token, other map[byte]bool, t time.Time, source string) {
		lo, hi := -1, -1
		for i, tok := range list {
			if tok.field != 0 && other[tok.field] {
				if lo < 0 {
					lo = i
				}
				hi = i
			}
		}
		for i, tok := range list {
			src := "shared"
			if i >= lo && i <= hi && lo >= 0 {
				src = source
			}
			if tok.field == 0 {
				out = appendParts(out, Part{Type: "literal", Value: tok.lit, Source: src})
				continue
			}
			typ, v, err := f.field(tok, t, float64(t.UnixMilli()), z)
			if err != nil {
				v = ""
			}
			out = appendParts(out, Part{Type: typ, Value: v, Source: src})
		}
	}
	emit(first, inSecond, tx, "startRange")
	emit(second, inFirst, ty, "endRange")
	return out
}

// fallbackParts is the locale's fallback ("{0} – {1}") around the two
// dates formatted whole by g.
func (f *DateTimeFormat) fallbackParts(g *DateTimeFormat, x, y float64, z Zone) []Part {
	fallback := f.cal.IntervalFallback
	if fallback == "" {
		fallback = "{0} – {1}"
	}
	var out []Part
	for _, lit := range splitBraces(fallback) {
		switch lit.Value {
		case "{0}", "{1}":
			ms, src := x, "startRange"
			if lit.Value == "{1}" {
				ms, src = y, "endRange"
			}
			parts, _ := g.FormatToParts(ms, z)
			for _, p := range parts {
				p.Source = src
				out = appendParts(out, p)
			}
		default:
			out = appendParts(out, lit)
		}
	}
	return out
}

// splitBraces cuts a literal at its {0} and {1} placeholders, which come
// out as parts of their own.
func splitBraces(s string) []Part {
	var out []Part
	for s != "" {
		i := strings.Index(s, "{")
		if i < 0 || i+2 >= len(s) || s[i+2] != '}' || (s[i+1] != '0' && s[i+1] != '1') {
			out = append(out, Part{Type: "literal", Value: s, Source: "shared"})
			break
		}
		if i > 0 {
			out = append(out, Part{Type: "literal", Value: s[:i], Source: "shared"})
		}
		out = append(out, Part{Type: "literal", Value: s[i : i+3], Source: "shared"})
		s = s[i+3:]
	}
	return out
}

// appendParts adds parts, joining a literal to a literal before it of
// the same source.
func appendParts(out []Part, parts ...Part) []Part {
	for _, p := range parts {
		if n := len(out); n > 0 && p.Type == "literal" && out[n-1].Type == "literal" && out[n-1].Source == p.Source &&
			!isBrace(p.Value) && !isBrace(out[n-1].Value) {
			out[n-1].Value += p.Value
			continue
		}
		out = append(out, p)
	}
	return out
}

func isBrace(s string) bool { return s == "{0}" || s == "{1}" }

// resolveBraces replaces the {0} and {1} parts that a glue pattern left.
func resolveBraces(parts, time []Part, date func() []Part) []Part {
	var out []Part
	for _, p := range parts {
		switch {
		case p.Type == "literal" && p.Value == "{0}":
			out = appendParts(out, time...)
		case p.Type == "literal" && p.Value == "{1}":
			out = appendParts(out, date()...)
		default:
			out = appendParts(out, p)
		}
	}
	return out
}
