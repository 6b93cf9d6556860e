package intl

import (
	"math"
	"strings"
	"time"
)

// Date ranges (formatRange) in the manner of ICU's DateIntervalFormat:
// the locale's intervalFormats pattern for the format's skeleton and the
// largest field in which the two dates differ ("MMM d – d, y" when the
// days differ), else the fallback "{0} – {1}" around two whole dates.

// FormatRange formats the range from x to y (valid time values) into
// parts, each with its source: startRange, endRange or shared.
func (f *DateTimeFormat) FormatRange(x, y float64, z Zone) ([]Part, error) {
	a, err := f.FormatToParts(x, z)
	if err != nil {
		return nil, err
	}
	b, err := f.FormatToParts(y, z)
	if err != nil {
		return nil, err
	}
	if samePartValues(a, b) {
		for i := range a {
			a[i].Source = "shared"
		}
		return a, nil
	}
	tx, ty := time.UnixMilli(int64(x)).In(z.Loc), time.UnixMilli(int64(y)).In(z.Loc)
	diff := largestDifference(tx, ty)
	skel := parseSkeleton(f.Pattern)
	mask := skel.mask()
	hasDate, hasTime := mask&dateMask != 0, mask&^dateMask != 0
	dayOrMore := diff == 'G' || diff == 'y' || diff == 'M' || diff == 'd'
	switch {
	case hasDate && hasTime && !dayOrMore:
		// One date, and the range of times: "Jan 1, 1970, 12:00 – 1:00 AM".
		dateSkel, timeSkel := skel, skel
		for fld := range nFields {
			if 1<<fld&dateMask != 0 {
				timeSkel.clear(fld)
			} else {
				dateSkel.clear(fld)
			}
		}
		datePattern := f.cal.bestPattern(&dateSkel, "")
		timeParts, ok := f.intervalParts(timeSkel, diff, tx, ty, z)
		if !ok {
			timeParts = f.fallbackParts(f.sub(timeSkel.patternOf(f.tokens)), tx, ty, x, y, z)
		}
		style := "short"
		switch dateSkel.lens[fMonth] {
		case 4:
			style = "long"
			if dateSkel.types[fWeekday] != 0 {
				style = "full"
			}
		case 3:
			style = "medium"
		}
		glue := f.cal.AtTime[style]
		if glue == "" {
			glue = f.cal.DateTimeFormats[style]
		}
		var text strings.Builder // the glue's literal text, unquoted
		for _, t := range parsePattern(glue) {
			text.WriteString(t.lit)
		}
		return resolveBraces(splitBraces(text.String()), timeParts, func() []Part {
			dp, _ := f.sub(datePattern).FormatToParts(x, z)
			for i := range dp {
				dp[i].Source = "shared"
			}
			return dp
		}), nil
	case hasTime && !hasDate && dayOrMore:
		// Times on different days: each with its date.
		full := skel
		full.set('y', 1)
		full.set('M', 1)
		full.set('d', 1)
		return f.fallbackParts(f.sub(f.cal.bestPattern(&full, f.cal.Decimal[f.numbering])), tx, ty, x, y, z), nil
	}
	if parts, ok := f.intervalParts(skel, diff, tx, ty, z); ok {
		return parts, nil
	}
	return f.fallbackParts(f, tx, ty, x, y, z), nil
}

// sub is a format of another pattern with f's data.
func (f *DateTimeFormat) sub(pattern string) *DateTimeFormat {
	g := *f
	g.Pattern, g.tokens = pattern, parsePattern(pattern)
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
	if skel.chars[fDayPeriod] == 'B' && (diff == 'a' || diff == 'H') {
		key = 'B'
	}
	// The interval skeleton with the same fields, closest in widths.
	var best *skeleton
	var bestPattern string
	bestDist := math.MaxInt
	for name, patterns := range f.cal.Intervals {
		p, ok := patterns[string(key)]
		if !ok && key == 'B' {
			p, ok = patterns["h"]
		}
		if !ok {
			continue
		}
		cand := parseSkeleton(name)
		if cand.chars[fDayPeriod] == 'a' {
			cand.clear(fDayPeriod)
		}
		if cand.mask() != skel.mask() || twelve != (cand.chars[fHour] == 'h' || cand.chars[fHour] == 'K') && hour != 0 {
			continue
		}
		d, _ := distance(&skel, &cand, skel.mask())
		if d < bestDist || d == bestDist && name < best.String() {
			c := cand
			best, bestPattern, bestDist = &c, p, d
		}
	}
	if best == nil {
		return nil, false
	}
	pattern := widen(bestPattern, best, &skel)
	if hour != 0 {
		pattern = replaceHourCycle(pattern, hour)
	}
	return f.splitInterval(pattern, tx, ty, z), true
}

// widen gives an interval pattern's fields the widths the format asks
// for, where the interval skeleton had others of the same kind
// (numeric or text): "d.M." for "dd.MM.".
func widen(pattern string, best, want *skeleton) string {
	var b strings.Builder
	for _, t := range parsePattern(pattern) {
		if t.field == 0 {
			b.WriteString(quote(t.lit))
			continue
		}
		n := t.n
		if fld := fieldOf(t.field); fld >= 0 && want.types[fld] != 0 && best.types[fld] != 0 && fld != fHour {
			if (want.types[fld] > 0) == (best.types[fld] > 0) && want.lens[fld] != best.lens[fld] && (t.n > 2) == (best.lens[fld] > 2) {
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
	tokens := parsePattern(pattern)
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
func (f *DateTimeFormat) fallbackParts(g *DateTimeFormat, tx, ty time.Time, x, y float64, z Zone) []Part {
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
