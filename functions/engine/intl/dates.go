package intl

import (
	"strings"
	"sync"

	"golang.org/x/text/language"
)

// calendarData is one locale's Gregorian calendar, as gen/dates.go
// writes it: name lists by context ("format", "stand-alone") and width.
type calendarData struct {
	MonthsFormat     map[string][]string          `json:"months-format"`
	MonthsStandalone map[string][]string          `json:"months-stand-alone"`
	DaysFormat       map[string][]string          `json:"days-format"`
	DaysStandalone   map[string][]string          `json:"days-stand-alone"`
	PeriodsFormat    map[string]map[string]string `json:"dayPeriods-format"`
	PeriodsAlone     map[string]map[string]string `json:"dayPeriods-stand-alone"`
	Eras             map[string][]string          `json:"eras"`
	DateFormats      map[string]string            `json:"dateFormats"`
	TimeFormats      map[string]string            `json:"timeFormats"`
	DateTimeFormats  map[string]string            `json:"dateTimeFormats"`
	AtTime           map[string]string            `json:"atTime"`
	Available        map[string]string            `json:"available"`
	AppendItems      map[string]string            `json:"appendItems"`
	FieldNames       map[string]string            `json:"fieldNames"`
	Decimal          map[string]string            `json:"decimal"`
	IntervalFallback string                       `json:"intervalFallback"`
	Intervals        map[string]map[string]string `json:"intervals"`

	skeletons []availableSkeleton // parsed Available, for the matcher
}

type availableSkeleton struct {
	skel    skeleton
	pattern string
}

var calendars sync.Map // data locale → *calendarData

// calendar is a data locale's calendar data, decoded once per process
// (read-only afterwards, shared by every runtime).
func calendar(dataLocale string) *calendarData {
	if c, ok := calendars.Load(dataLocale); ok {
		return c.(*calendarData)
	}
	c := &calendarData{}
	if err := Record("dates", dataLocale, c); err != nil {
		panic("intl: " + err.Error())
	}
	c.skeletons = generatorPatterns(c)
	v, _ := calendars.LoadOrStore(dataLocale, c)
	return v.(*calendarData)
}

// supplement is data/datesupp.json.
type supplement struct {
	Calendars    map[string]string                       `json:"calendars"`
	DayPeriods   map[string]map[string]map[string]string `json:"dayPeriods"`
	Metazones    map[string][][3]any                     `json:"metazones"`
	Zones        map[string][2]string                    `json:"zones"`
	Decimals     map[string]string                       `json:"decimals"`     // numbering system → its decimal separator
	Countries    map[string]string                       `json:"countries"`    // zone → its country
	PrimaryZones map[string]bool                         `json:"primaryZones"` // zones that stand for their country
	GoldenZones  map[string]map[string]string            `json:"goldenZones"`  // metazone → region → its zone
}

var supp = sync.OnceValue(func() *supplement {
	var s supplement
	mustDecode("datesupp", &s)
	return &s
})

// region is the region of a locale tag, given or likely (ja → JP).
func region(tag string) string {
	t, err := language.Parse(tag)
	if err != nil {
		return "001"
	}
	r, _ := t.Region()
	return r.String()
}

// DefaultCalendar is the calendar a locale uses when none is asked for
// (CLDR's calendarPreferenceData by region: th → buddhist).
func DefaultCalendar(tag string) string {
	c, ok := supp().Calendars[region(tag)]
	if !ok {
		c = supp().Calendars["001"]
	}
	if c == "gregorian" {
		return "gregory"
	}
	return c
}

// defaultHourChar is the hour pattern character a locale prefers (h, H,
// K or k): as ICU's pattern generator takes it, that of the locale's
// short time pattern (fr-CA writes 21 h 04 where Canada's region data
// say h).
func defaultHourChar(c *calendarData) byte {
	for _, t := range parseDatePattern(c.TimeFormats["short"]) {
		if fieldOf(t.field) == fHour {
			return t.field
		}
	}
	return 'H'
}

// LookupZone is a time zone name as Go's tz database spells it (which loads
// it) and as ICU reports it (Asia/Kolkata is Asia/Calcutta, Etc/UTC is
// UTC), for a name in any case; false if unknown.
func LookupZone(name string) (goName, canonical string, ok bool) {
	if len(name) > 64 {
		return "", "", false
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= 0x80 {
			return "", "", false // zone names are ASCII: no case folding of İ to i
		}
	}
	z, ok := supp().Zones[strings.ToLower(name)]
	return z[0], z[1], ok
}
