package intl

import (
	"fmt"
	"sort"
	"strings"
)

// A pattern generator in the manner of ICU's DateTimePatternGenerator
// (what V8, and so Node, builds Intl.DateTimeFormat on): a skeleton of
// requested fields is matched against the locale's availableFormats by a
// distance over field types, the chosen pattern's field widths are
// adjusted to the request, and a request whose date and time halves no
// single pattern covers is served by the two halves, joined by the
// locale's dateTimeFormat.

// Field indices, in ICU's order (the append items are looked up by them).
const (
	fEra = iota
	fYear
	fQuarter
	fMonth
	fWeek
	fWeekOfMonth
	fWeekday
	fDayOfYear
	fDayOfWeekInMonth
	fDay
	fDayPeriod
	fHour
	fMinute
	fSecond
	fFraction
	fZone
	nFields
)

const dateMask = 1<<fDayPeriod - 1

// appendItemKeys and fieldNameKeys are CLDR's names of the fields (""
// where CLDR has none: ICU then appends with its own format and name).
var appendItemKeys = [nFields]string{"Era", "Year", "Quarter", "Month", "Week", "", "Day-Of-Week", "", "", "Day", "", "Hour", "Minute", "Second", "", "Timezone"}
var fieldNameKeys = [nFields]string{"era", "year", "quarter", "month", "week", "", "weekday", "", "", "day", "dayperiod", "hour", "minute", "second", "", "zone"}

// fieldOf is the field of a pattern character (-1 for none).
func fieldOf(c byte) int {
	switch c {
	case 'G':
		return fEra
	case 'y', 'Y', 'u', 'r', 'U':
		return fYear
	case 'Q', 'q':
		return fQuarter
	case 'M', 'L':
		return fMonth
	case 'w':
		return fWeek
	case 'W':
		return fWeekOfMonth
	case 'E', 'c', 'e':
		return fWeekday
	case 'D':
		return fDayOfYear
	case 'F':
		return fDayOfWeekInMonth
	case 'd':
		return fDay
	case 'a', 'b', 'B':
		return fDayPeriod
	case 'h', 'H', 'K', 'k':
		return fHour
	case 'm':
		return fMinute
	case 's':
		return fSecond
	case 'S':
		return fFraction
	case 'z', 'v', 'O', 'Z', 'V', 'X', 'x':
		return fZone
	}
	return -1
}

// Type values as ICU ranks them: numeric forms are positive and grow with
// their width, text forms negative; related characters (L beside M, c
// beside E) are a delta apart.
const (
	tNumeric = 0x100
	tNarrow  = -0x101
	tShorter = -0x102
	tShort   = -0x103
	tLong    = -0x104
	tDelta   = 0x10
)

func textType(n int) int {
	switch {
	case n == 4:
		return tLong
	case n == 5:
		return tNarrow
	case n >= 6:
		return tShorter
	}
	return tShort
}

// typeOf is the type value of a field of character c, n long.
func typeOf(c byte, n int) int {
	switch c {
	case 'M', 'Q':
		if n <= 2 {
			return tNumeric + n
		}
		return textType(n)
	case 'L', 'q':
		if n <= 2 {
			return tNumeric + tDelta + n
		}
		return textType(n) - tDelta
	case 'G', 'E', 'a', 'z':
		if c == 'E' && n <= 3 || c != 'E' && n <= 3 {
			return tShort
		}
		return textType(n)
	case 'c', 'e':
		if n <= 2 {
			return tNumeric + 2*tDelta + n
		}
		return textType(n) - 2*tDelta
	case 'b':
		return textType(max(n, 3)) - tDelta
	case 'B':
		return textType(max(n, 3)) - 3*tDelta
	case 'v':
		return textType(max(n, 3)) - 2*tDelta
	case 'O':
		return textType(max(n, 3)) - tDelta
	case 'Z', 'V', 'X', 'x':
		return textType(max(n, 3)) - 4*tDelta
	case 'H':
		return tNumeric + 10*tDelta + n
	case 'k':
		return tNumeric + 11*tDelta + n
	case 'K':
		return tNumeric + tDelta + n
	case 'Y':
		return tNumeric + tDelta + n
	case 'S':
		return tNumeric + tDelta + n
	}
	return tNumeric + n // y, d, h, m, s, w, W, D, F, u, r
}

// skeleton is a set of fields, each with its character, width and type.
type skeleton struct {
	chars [nFields]byte
	lens  [nFields]int
	types [nFields]int
}

func (s *skeleton) set(c byte, n int) {
	f := fieldOf(c)
	if f < 0 {
		return
	}
	s.chars[f], s.lens[f], s.types[f] = c, n, typeOf(c, n)
}

func (s *skeleton) clear(f int) { s.chars[f], s.lens[f], s.types[f] = 0, 0, 0 }

func (s *skeleton) mask() int {
	m := 0
	for f := range nFields {
		if s.types[f] != 0 {
			m |= 1 << f
		}
	}
	return m
}

// parseSkeleton reads a skeleton (or a pattern's fields), normalising the
// day period as ICU does: none without an hour, "a" with a 12-hour clock.
func parseSkeleton(src string) skeleton {
	var s skeleton
	for _, t := range parseDatePattern(src) {
		if t.field != 0 {
			s.set(t.field, t.n)
		}
	}
	s.normalizeDayPeriod()
	return s
}

func (s *skeleton) normalizeDayPeriod() {
	// ICU's #20739: minutes and fractions of a second need the seconds.
	if s.types[fMinute] != 0 && s.types[fFraction] != 0 && s.types[fSecond] == 0 {
		s.set('s', 1)
	}
	switch h := s.chars[fHour]; {
	case h == 0:
		if c := s.chars[fDayPeriod]; c == 'a' || c == 'b' {
			s.clear(fDayPeriod)
		}
	case s.chars[fDayPeriod] == 0 && (h == 'h' || h == 'K'):
		s.set('a', 1)
	}
}

// base is the skeleton as ICU's pattern generator keeps patterns: one
// for each set of fields and types, whatever the numeric widths ("yMd"
// for "yyMMdd", "yMMMd" for "yMMMdd").
func (s skeleton) base() string {
	var b strings.Builder
	for f := range nFields {
		n := s.lens[f]
		switch c := s.chars[f]; {
		case n == 0:
			continue
		case s.types[f] > 0: // numeric: one base for every width
			n = 1
		case n <= 3 && !strings.ContainsRune("MLQq", rune(c)):
			n = 1 // E, EE and EEE are one type, as are G and a
		}
		for range n {
			b.WriteByte(s.chars[f])
		}
	}
	return b.String()
}

// String is the skeleton's characters, in field order.
func (s skeleton) String() string {
	var b strings.Builder
	for f := range nFields {
		for range s.lens[f] {
			b.WriteByte(s.chars[f])
		}
	}
	return b.String()
}

// generatorPatterns are the patterns the generator chooses from, in
// the order that decides between equally close ones (the first wins, as
// Node's answers show): ICU adds a pattern for each single field, then
// the locale's date and time style patterns, then its availableFormats
// (sorted, replacing a pattern of the same skeleton in place).
func generatorPatterns(c *calendarData) []availableSkeleton {
	var list []availableSkeleton
	index := map[string]int{} // by skeleton
	bases := map[string]bool{}
	// add is ICU's addPatternWithSkeleton: a style pattern (override
	// false) is dropped when one of the same base is there; an
	// availableFormats one replaces only one of the very same skeleton.
	add := func(pattern string, skel skeleton, override bool) {
		key, base := skel.String(), skel.base()
		if !override && bases[base] {
			return
		}
		bases[base] = true
		if i, ok := index[key]; ok {
			if override {
				list[i].pattern = pattern
			}
			return
		}
		index[key] = len(list)
		list = append(list, availableSkeleton{skel, pattern})
	}
	for _, ch := range "GyQMwWEDFdaHmsSv" {
		var one skeleton // as is: a lone "a" stays, for a day period asked alone
		one.set(byte(ch), 1)
		add(string(ch), one, false)
	}
	for _, style := range []string{"full", "long", "medium", "short"} {
		if p := c.DateFormats[style]; p != "" {
			add(p, parseSkeleton(p), false)
		}
		if p := c.TimeFormats[style]; p != "" {
			add(p, parseSkeleton(p), false)
		}
	}
	keys := make([]string, 0, len(c.Available))
	for k := range c.Available {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add(c.Available[k], parseSkeleton(k), true)
	}
	return list
}

const (
	extraField   = 0x10000
	missingField = 0x1000
)

// distance is how far an available skeleton is from the request,
// counting only the requested fields in include; missing is the mask of
// requested fields it lacks.
func distance(req, avail *skeleton, include int) (d, missing int) {
	for f := range nFields {
		my := 0
		if include&(1<<f) != 0 {
			my = req.types[f]
		}
		other := avail.types[f]
		switch {
		case my == other:
		case my == 0:
			d += extraField
		case other == 0:
			d += missingField
			missing |= 1 << f
		default:
			d += abs(my - other)
		}
	}
	return d, missing
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// bestRaw is the available pattern closest to the request's fields in include.
func (c *calendarData) bestRaw(req *skeleton, include int) (pattern string, matched *skeleton, missing int) {
	best := -1
	for i := range c.skeletons {
		a := &c.skeletons[i]
		d, miss := distance(req, &a.skel, include)
		if best < 0 || d < best {
			best, pattern, matched, missing = d, a.pattern, &a.skel, miss
			if d == 0 {
				break
			}
		}
	}
	return pattern, matched, missing
}

// adjust rewrites a pattern's fields to the requested widths (ICU's
// adjustFieldTypes; hour widths only with matchHour); fraction, when
// not empty, is appended to the seconds (decimal separator and S's).
func adjust(pattern string, matched, req *skeleton, fraction string, matchHour bool) string {
	var b strings.Builder
	for _, t := range parseDatePattern(pattern) {
		if t.field == 0 {
			b.WriteString(quote(t.lit))
			continue
		}
		f := fieldOf(t.field)
		c, n := t.field, t.n
		if fraction != "" && f == fSecond {
			b.WriteString(strings.Repeat(string(c), n))
			b.WriteString(fraction)
			continue
		}
		if f >= 0 && req.types[f] != 0 {
			rc, rn := req.chars[f], req.lens[f]
			if rc == 'E' && rn < 3 {
				rn = 3
			}
			adj := rn
			switch {
			case f == fMinute || f == fSecond || f == fHour && !matchHour:
				adj = n
			case matched != nil && rc != 'c' && rc != 'e':
				patNumeric, skelNumeric := typeOf(c, n) > 0, matched.types[f] > 0
				if matched.lens[f] == rn || patNumeric != skelNumeric {
					adj = n
				}
			}
			if f != fHour && f != fMonth && f != fWeekday && f != fYear {
				c = rc
			}
			n = adj
		}
		b.WriteString(strings.Repeat(string(c), n))
	}
	return b.String()
}

// quote writes a literal so that parsePattern reads it back.
func quote(lit string) string {
	if lit == "" {
		return ""
	}
	plain := true
	for i := 0; i < len(lit); i++ {
		if c := lit[i]; c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '\'' {
			plain = false
			break
		}
	}
	if plain {
		return lit
	}
	return "'" + strings.ReplaceAll(lit, "'", "''") + "'"
}

// bestAppending is ICU's getBestAppending: the closest pattern, with
// the fields it lacks appended by the locale's appendItems.
func (c *calendarData) bestAppending(req *skeleton, include int, decimal string, matchHour bool) string {
	pattern, matched, missing := c.bestRaw(req, include)
	fraction := ""
	if missing&(1<<fFraction|1<<fSecond) == 1<<fFraction && include&(1<<fSecond) != 0 {
		fraction = quote(decimal) + strings.Repeat("S", req.lens[fFraction])
		missing &^= 1 << fFraction
	}
	result := adjust(pattern, matched, req, fraction, matchHour)
	for missing != 0 {
		start := missing
		p, m, miss := c.bestRaw(req, missing)
		if miss == start { // nothing found: cannot happen with the canonical items
			break
		}
		temp := adjust(p, m, req, "", matchHour)
		found := start &^ miss
		top := 0
		for f := range nFields {
			if found&(1<<f) != 0 {
				top = f
			}
		}
		format := c.AppendItems[appendItemKeys[top]]
		if format == "" {
			format = "{0} \u251c{2}: {1}\u2524" // ICU's own, for fields CLDR has none for
		}
		name := c.FieldNames[fieldNameKeys[top]]
		if name == "" {
			name = fmt.Sprintf("F%d", top) // ICU's name of a field without one
		}
		result = strings.NewReplacer("{0}", result, "{1}", temp, "{2}", quote(name)).Replace(format)
		missing = miss
	}
	return result
}

// bestPattern is ICU's getBestPattern for a skeleton, hour widths
// matched to the request as V8 asks.
func (c *calendarData) bestPattern(req *skeleton, decimal string) string {
	return c.generate(req, decimal, true)
}

// generate is ICU's getBestPattern; matchHour is its
// UDATPG_MATCH_HOUR_FIELD_LENGTH option (DateIntervalFormat leaves the
// matched pattern's hour as it is: en-GB's ranges say 02:40).
func (c *calendarData) generate(req *skeleton, decimal string, matchHour bool) string {
	all := req.mask()
	pattern, matched, missing := c.bestRaw(req, all)
	if d, _ := distance(req, matched, all); missing == 0 && d < extraField {
		return adjust(pattern, matched, req, "", matchHour)
	}
	var date, time string
	if all&dateMask != 0 {
		date = c.bestAppending(req, all&dateMask, decimal, matchHour)
	}
	if all&^dateMask != 0 {
		time = c.bestAppending(req, all&^dateMask, decimal, matchHour)
	}
	if date == "" || time == "" {
		return date + time
	}
	style := "short"
	switch req.lens[fMonth] {
	case 4:
		style = "long"
		if req.types[fWeekday] != 0 {
			style = "full"
		}
	case 3:
		style = "medium"
	}
	return c.joinDateTime(style, date, time)
}

// joinDateTime puts a date and a time pattern together as the locale's
// dateTimeFormat of a style does ("{1} 'at' {0}"); CLDR 48's atTime forms
// are what ICU 78 uses.
func (c *calendarData) joinDateTime(style, date, time string) string {
	glue := c.AtTime[style]
	if glue == "" {
		glue = c.DateTimeFormats[style]
	}
	return strings.NewReplacer("{0}", time, "{1}", date).Replace(glue)
}

// token is a pattern's field (field is its character, n its width) or,
// with field 0, a literal.
type token struct {
	field byte
	n     int
	lit   string
}

// parseDatePattern splits a CLDR date pattern into fields and literals: ASCII
// letters are fields, text in single quotes and everything else literal,
// and two apostrophes in a row an apostrophe.
func parseDatePattern(p string) []token {
	var out []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			out = append(out, token{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(p); {
		c := p[i]
		switch {
		case c == '\'':
			if i+1 < len(p) && p[i+1] == '\'' {
				lit.WriteByte('\'')
				i += 2
				continue
			}
			j := i + 1
			for j < len(p) {
				if p[j] == '\'' {
					if j+1 < len(p) && p[j+1] == '\'' {
						lit.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				lit.WriteByte(p[j])
				j++
			}
			i = j + 1
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			flush()
			j := i
			for j < len(p) && p[j] == c {
				j++
			}
			out = append(out, token{field: c, n: j - i})
			i = j
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()
	return out
}
