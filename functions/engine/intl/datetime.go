package intl

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DateTimeOptions are the options of an Intl.DateTimeFormat once read
// and validated (the JavaScript side reads them in the standard's order).
// Empty strings are options not given. The struct is comparable: it keys
// the process-wide cache of compiled formats.
type DateTimeOptions struct {
	Locale     string // the resolved locale (its region picks the hour cycle)
	DataLocale string
	Numbering  string // a numeric numbering system, resolved
	HourCycle  string // h11, h12, h23, h24: the option, else the -u-hc- keyword
	Hour12     string // "true", "false"

	Weekday, Era, Year, Month, Day, DayPeriod, Hour, Minute, Second string
	FractionalSecondDigits                                          int
	TimeZoneName                                                    string
	DateStyle, TimeStyle                                            string
}

// DateTimeFormat is a compiled format: its pattern and what
// resolvedOptions reports. Immutable, shared.
type DateTimeFormat struct {
	Pattern  string
	Resolved Resolution

	tokens    []token
	cal       *calendarData
	zoneNames *zoneNames
	numbering string
	decimal   string                       // the numbering system's decimal separator, for fractions of a second
	periods   map[string]map[string]string // flexible day period rules
	lang      string
	region    string        // the locale's (or likely) region: it picks the zone a metazone's name means
	shows     map[byte]bool // the pattern's field characters
}

// Resolution is what the pattern shows, in resolvedOptions's terms.
type Resolution struct {
	HourCycle                                                       string
	Weekday, Era, Year, Month, Day, DayPeriod, Hour, Minute, Second string
	FractionalSecondDigits                                          int
	TimeZoneName                                                    string
}

var (
	formatsMu sync.Mutex
	formats   = map[DateTimeOptions]*DateTimeFormat{}
)

// NewDateTimeFormat compiles the options into a format, or tells which
// option it cannot serve. Formats are cached per process (they hold
// nothing of a tenant), bounded in number.
func NewDateTimeFormat(o DateTimeOptions) (*DateTimeFormat, error) {
	formatsMu.Lock()
	f, ok := formats[o]
	formatsMu.Unlock()
	if ok {
		return f, nil
	}
	f, err := compile(o)
	if err != nil {
		return nil, err
	}
	formatsMu.Lock()
	if len(formats) >= 4096 {
		clear(formats)
	}
	formats[o] = f
	formatsMu.Unlock()
	return f, nil
}

var hourChars = map[string]byte{"h11": 'K', "h12": 'h', "h23": 'H', "h24": 'k'}
var hourCycles = map[byte]string{'K': "h11", 'h': "h12", 'H': "h23", 'k': "h24"}

func compile(o DateTimeOptions) (*DateTimeFormat, error) {
	cal := calendar(o.DataLocale)
	decimal := cal.Decimal[o.Numbering]
	if decimal == "" {
		decimal = supp().Decimals[o.Numbering]
	}
	if decimal == "" {
		decimal = cal.Decimal["latn"]
	}
	// The hour cycle, as V8 resolves it: hour12 wins over hourCycle and
	// the -u-hc- keyword; h11 is the 12-hour clock of Japanese.
	defChar := defaultHourChar(cal)
	hc := o.HourCycle
	explicit := hc != ""
	if o.Hour12 != "" {
		// hour12 picks the 12- or 24-hour cycle of the same kind as the
		// locale's (a 0-based h11 or h23, else h12 or h24), as V8 still
		// does: en with hour12: false counts 24:05.
		explicit = true
		def := hourCycles[defChar]
		if hc != "" {
			def = hc
		}
		zeroBased := def == "h11" || def == "h23"
		switch {
		case o.Hour12 == "true" && zeroBased:
			hc = "h11"
		case o.Hour12 == "true":
			hc = "h12"
		case zeroBased:
			hc = "h23"
		default:
			hc = "h24"
		}
	}
	hourChar := defChar
	if explicit {
		hourChar = hourChars[hc]
	}

	var pattern string
	if o.DateStyle != "" || o.TimeStyle != "" {
		date, tm := cal.DateFormats[o.DateStyle], cal.TimeFormats[o.TimeStyle]
		if tm != "" && explicit {
			// Another hour cycle than the style's: the pattern of the
			// style's fields with that hour.
			s := parseSkeleton(tm)
			if s.chars[fHour] != hourChar {
				s.set(hourChar, s.lens[fHour])
				if hourChar == 'H' || hourChar == 'k' {
					s.clear(fDayPeriod)
				}
				s.normalizeDayPeriod()
				tm = cal.bestPattern(&s, decimal)
			}
		}
		switch {
		case date == "":
			pattern = tm
		case tm == "":
			pattern = date
		default:
			pattern = cal.joinDateTime(o.DateStyle, date, tm)
		}
	} else {
		var s skeleton
		text := map[string]int{"narrow": 5, "short": 3, "long": 4}
		num := map[string]int{"numeric": 1, "2-digit": 2}
		if n := text[o.Weekday]; n > 0 {
			s.set('E', n)
		}
		if n := map[string]int{"narrow": 5, "short": 3, "long": 4}[o.Era]; n > 0 {
			s.set('G', n)
		}
		if n := num[o.Year]; n > 0 {
			s.set('y', n)
		}
		if n := num[o.Month]; n > 0 {
			s.set('M', n)
		} else if n := text[o.Month]; n > 0 {
			s.set('M', n)
		}
		if n := num[o.Day]; n > 0 {
			s.set('d', n)
		}
		if n := num[o.Hour]; n > 0 {
			s.set(hourChar, n)
		}
		if n := map[string]int{"narrow": 5, "short": 1, "long": 4}[o.DayPeriod]; n > 0 && hourChar != 'H' && hourChar != 'k' || n > 0 && o.Hour == "" {
			s.set('B', n)
		}
		if n := num[o.Minute]; n > 0 {
			s.set('m', n)
		}
		if n := num[o.Second]; n > 0 {
			s.set('s', n)
		}
		if o.FractionalSecondDigits > 0 {
			s.set('S', o.FractionalSecondDigits)
		}
		if z := zoneSkeleton[o.TimeZoneName]; z != "" {
			s.set(z[0], len(z))
		}
		s.normalizeDayPeriod()
		pattern = cal.bestPattern(&s, decimal)
	}
	if explicit {
		pattern = replaceHourCycle(pattern, hourChar)
	}
	f := &DateTimeFormat{Pattern: pattern, tokens: parseDatePattern(pattern), cal: cal, numbering: o.Numbering, decimal: decimal}
	f.lang, _, _ = strings.Cut(o.DataLocale, "-")
	f.periods = supp().DayPeriods[f.lang]
	f.zoneNames = zoneNamesOf(o.DataLocale)
	f.region = region(o.Locale)
	f.Resolved = resolution(f.tokens)
	f.shows = map[byte]bool{}
	for _, t := range f.tokens {
		f.shows[t.field] = true
	}
	return f, nil
}

var zoneSkeleton = map[string]string{
	"short": "z", "long": "zzzz", "shortOffset": "O", "longOffset": "OOOO", "shortGeneric": "v", "longGeneric": "vvvv",
}

// replaceHourCycle writes every hour field of a pattern with one
// character (V8 does so once the pattern is chosen).
func replaceHourCycle(pattern string, c byte) string {
	var b strings.Builder
	for _, t := range parseDatePattern(pattern) {
		switch {
		case t.field == 0:
			b.WriteString(quote(t.lit))
		case fieldOf(t.field) == fHour:
			b.WriteString(strings.Repeat(string(c), t.n))
		default:
			b.WriteString(strings.Repeat(string(t.field), t.n))
		}
	}
	return b.String()
}

// resolution reads a pattern's fields back as option values.
func resolution(tokens []token) Resolution {
	var r Resolution
	num := func(n int) string {
		if n == 2 {
			return "2-digit"
		}
		return "numeric"
	}
	text := func(n int) string {
		switch {
		case n == 4:
			return "long"
		case n == 5:
			return "narrow"
		}
		return "short"
	}
	for _, t := range tokens {
		switch t.field {
		case 'G':
			r.Era = text(t.n)
		case 'y':
			r.Year = num(t.n)
		case 'M', 'L':
			if t.n <= 2 {
				r.Month = num(t.n)
			} else {
				r.Month = text(t.n)
			}
		case 'E', 'c':
			r.Weekday = text(t.n)
		case 'd':
			r.Day = num(t.n)
		case 'B', 'b':
			r.DayPeriod = text(t.n)
		case 'h', 'H', 'K', 'k':
			r.Hour = num(t.n)
			r.HourCycle = hourCycles[t.field]
		case 'm':
			r.Minute = num(t.n)
		case 's':
			r.Second = num(t.n)
		case 'S':
			r.FractionalSecondDigits = t.n
		case 'z':
			r.TimeZoneName = map[bool]string{true: "long", false: "short"}[t.n == 4]
		case 'O':
			r.TimeZoneName = map[bool]string{true: "longOffset", false: "shortOffset"}[t.n == 4]
		case 'v':
			r.TimeZoneName = map[bool]string{true: "longGeneric", false: "shortGeneric"}[t.n == 4]
		}
	}
	return r
}

// MaxTime is the largest time value a Date holds (ECMA-262 TimeClip).
const MaxTime = 8.64e15

// Zone is a time zone to format in: Go's location and the name ICU uses.
type Zone struct {
	Loc *time.Location
	ID  string // canonical: "UTC", "Asia/Calcutta"
}

// Format is the formatted date (ms since the epoch, a valid time value).
// Its narrow no-break spaces are plain ones, as V8 writes them in format
// (not formatToParts) for web compatibility: much code parses "7:03 PM".
func (f *DateTimeFormat) Format(ms float64, z Zone) (string, error) {
	parts, err := f.FormatToParts(ms, z)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Value)
	}
	return strings.ReplaceAll(b.String(), "\u202f", " "), nil
}

// FormatToParts formats a time value into typed parts; adjacent literals
// are one part, as ICU reports them.
func (f *DateTimeFormat) FormatToParts(ms float64, z Zone) ([]Part, error) {
	if math.IsNaN(ms) || math.Abs(ms) > MaxTime {
		return nil, fmt.Errorf("Invalid time value")
	}
	ms = math.Trunc(ms)
	t := time.UnixMilli(int64(ms)).In(z.Loc)
	parts := make([]Part, 0, len(f.tokens))
	add := func(typ, v string) {
		if typ == "literal" && len(parts) > 0 && parts[len(parts)-1].Type == "literal" {
			parts[len(parts)-1].Value += v
			return
		}
		parts = append(parts, Part{Type: typ, Value: v})
	}
	for _, tok := range f.tokens {
		if tok.field == 0 {
			add("literal", tok.lit)
			continue
		}
		typ, v, err := f.field(tok, t, ms, z)
		if err != nil {
			return nil, err
		}
		add(typ, v)
	}
	return parts, nil
}

func (f *DateTimeFormat) number(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return Transliterate(s, f.numbering)
}

func width(n int) string {
	switch {
	case n == 4:
		return "wide"
	case n == 5:
		return "narrow"
	case n == 6:
		return "short"
	}
	return "abbreviated"
}

func (f *DateTimeFormat) field(tok token, t time.Time, ms float64, z Zone) (typ, v string, err error) {
	n := tok.n
	year := t.Year()
	switch tok.field {
	case 'G':
		era := 1
		if year <= 0 {
			era = 0
		}
		key := map[int]string{4: "eraNames", 5: "eraNarrow"}[n]
		if key == "" {
			key = "eraAbbr"
		}
		return "era", f.cal.Eras[key][era], nil
	case 'y':
		if year <= 0 {
			year = 1 - year // the year of the era: 1 BC is year 0
		}
		if n == 2 {
			return "year", f.number(year%100, 2), nil
		}
		return "year", f.number(year, n), nil
	case 'M', 'L':
		m := int(t.Month())
		if n <= 2 {
			return "month", f.number(m, n), nil
		}
		names := f.cal.MonthsFormat
		if tok.field == 'L' {
			names = f.cal.MonthsStandalone
		}
		return "month", names[width(n)][m-1], nil
	case 'E', 'c', 'e':
		names := f.cal.DaysFormat
		if tok.field == 'c' {
			names = f.cal.DaysStandalone
		}
		return "weekday", names[width(max(n, 3))][t.Weekday()], nil
	case 'd':
		return "day", f.number(t.Day(), n), nil
	case 'a':
		key := "am"
		if t.Hour() >= 12 {
			key = "pm"
		}
		return "dayPeriod", f.cal.PeriodsFormat[width(n)][key], nil
	case 'B', 'b':
		return "dayPeriod", f.flexiblePeriod(t, width(n)), nil
	case 'h':
		h := t.Hour() % 12
		if h == 0 {
			h = 12
		}
		return "hour", f.number(h, n), nil
	case 'H':
		return "hour", f.number(t.Hour(), n), nil
	case 'K':
		return "hour", f.number(t.Hour()%12, n), nil
	case 'k':
		h := t.Hour()
		if h == 0 {
			h = 24
		}
		return "hour", f.number(h, n), nil
	case 'm':
		return "minute", f.number(t.Minute(), n), nil
	case 's':
		return "second", f.number(t.Second(), n), nil
	case 'S':
		frac := strconv.Itoa(int(math.Mod(math.Mod(ms, 1000)+1000, 1000)))
		frac = strings.Repeat("0", 3-len(frac)) + frac
		if n <= 3 {
			frac = frac[:n]
		} else {
			frac += strings.Repeat("0", n-3)
		}
		return "fractionalSecond", Transliterate(frac, f.numbering), nil
	case 'z', 'v', 'O':
		name, err := f.zoneName(tok, t, z)
		return "timeZoneName", name, err
	}
	return "literal", "", fmt.Errorf("pattern field %q is not supported", tok.field)
}

// flexiblePeriod is the locale's day period (CLDR dayPeriodRules: "in
// the morning") at t, in the format names of a width; am/pm when the
// language has no rules.
func (f *DateTimeFormat) flexiblePeriod(t time.Time, w string) string {
	names := f.cal.PeriodsFormat[w]
	minutes := t.Hour()*60 + t.Minute()
	// Noon when the shown time is 12:00 (ICU never says midnight here:
	// it cannot tell which end of the day it means).
	if _, ok := f.periods["noon"]; ok && names["noon"] != "" && t.Hour() == 12 &&
		(!f.shows['m'] || t.Minute() == 0) && (!f.shows['s'] || t.Second() == 0) {
		return names["noon"]
	}
	if f.periods != nil {
		for name, rule := range f.periods {
			if rule["_at"] != "" {
				continue
			}
			from, before := clock(rule["_from"]), clock(rule["_before"])
			in := from <= minutes && minutes < before
			if from > before { // across midnight: 21:00–04:00
				in = minutes >= from || minutes < before
			}
			if in && names[name] != "" {
				return names[name]
			}
		}
	}
	if t.Hour() >= 12 {
		return names["pm"]
	}
	return names["am"]
}

// clock is "HH:MM" in minutes.
func clock(s string) int {
	h, m, _ := strings.Cut(s, ":")
	hh, _ := strconv.Atoi(h)
	mm, _ := strconv.Atoi(m)
	return hh*60 + mm
}
