package intl

import (
	"slices"
	"strings"
	"sync"
)

type localeInfoTable struct {
	Week struct {
		MinDays      map[string]string `json:"minDays"`
		FirstDay     map[string]string `json:"firstDay"`
		WeekendStart map[string]string `json:"weekendStart"`
		WeekendEnd   map[string]string `json:"weekendEnd"`
	} `json:"week"`
	HourCycles map[string]string   `json:"hourCycles"`
	Calendars  map[string][]string `json:"calendars"`
	RTL        []string            `json:"rtl"`
	Zones      map[string][]string `json:"zones"`
	Currencies []string            `json:"currencies"`
}

var localeInfo = sync.OnceValue(func() *localeInfoTable {
	var t localeInfoTable
	mustDecode("localeinfo", &t)
	return &t
})

// WeekInfo is Intl.Locale's weekInfo: days numbered 1 (Monday) to 7.
type WeekInfo struct {
	FirstDay    int   `json:"firstDay"`
	Weekend     []int `json:"weekend"`
	MinimalDays int   `json:"minimalDays"`
}

// LocaleInfo is what Intl.Locale's info accessors tell of a canonical
// tag, from CLDR: its keywords where it has them, else the preferences
// of its region (or its language's likely region).
type LocaleInfo struct {
	Calendars, Collations, HourCycles, NumberingSystems []string
	TimeZones                                           []string // nil for a tag without a region
	Direction                                           string   // ltr or rtl
	Week                                                WeekInfo
}

var weekdays = map[string]int{"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}

// InfoOf tells a canonical tag's LocaleInfo.
func InfoOf(tag string) LocaleInfo {
	t := localeInfo()
	id, _ := splitLangID(tag)
	_, ext := splitExtension(tag)
	max := maximize(id)
	region := max.region
	regional := func(m map[string]string) string {
		if v, ok := m[region]; ok {
			return v
		}
		return m["001"]
	}
	var info LocaleInfo
	if ca := ext["ca"]; ca != "" {
		info.Calendars = []string{ca}
	} else if c, ok := t.Calendars[region]; ok {
		info.Calendars = slices.Clone(c)
	} else {
		info.Calendars = slices.Clone(t.Calendars["001"])
	}
	if co := ext["co"]; co != "" {
		info.Collations = []string{co}
	} else {
		info.Collations = CollationTypes(max.lang)
		slices.Sort(info.Collations)
	}
	if hc := ext["hc"]; hc != "" {
		info.HourCycles = []string{hc}
	} else if hc, ok := t.HourCycles[max.lang+"-"+region]; ok {
		info.HourCycles = []string{hc}
	} else {
		info.HourCycles = []string{regional(t.HourCycles)}
	}
	res := Resolve([]string{tag}, Formatting)
	info.NumberingSystems = []string{NumberingSystem(res.Data, ext["nu"])}
	if id.region != "" {
		info.TimeZones = slices.Clone(t.Zones[id.region])
		if info.TimeZones == nil {
			info.TimeZones = []string{}
		}
	}
	info.Direction = "ltr"
	if slices.Contains(t.RTL, max.script) {
		info.Direction = "rtl"
	}
	w := &info.Week
	w.FirstDay = weekdays[regional(t.Week.FirstDay)]
	if fw := weekdays[strings.ToLower(ext["fw"])]; fw != 0 {
		w.FirstDay = fw
	}
	start, end := weekdays[regional(t.Week.WeekendStart)], weekdays[regional(t.Week.WeekendEnd)]
	for d := start; ; d = d%7 + 1 {
		w.Weekend = append(w.Weekend, d)
		if d == end || len(w.Weekend) == 7 {
			break
		}
	}
	slices.Sort(w.Weekend)
	w.MinimalDays = int(regional(t.Week.MinDays)[0] - '0')
	return info
}
