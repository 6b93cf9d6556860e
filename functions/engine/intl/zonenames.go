package intl

import (
	"strconv"
	"strings"
	"sync"
	"time"
)

// zoneNames are a locale's time zone names (CLDR timeZoneNames).
type zoneNames struct {
	HourFormat     string                                  `json:"hourFormat"`
	GMTFormat      string                                  `json:"gmtFormat"`
	GMTZeroFormat  string                                  `json:"gmtZeroFormat"`
	Metazone       map[string]map[string]map[string]string `json:"metazone"` // name → long/short → generic/standard/daylight
	Zone           map[string]map[string]map[string]string `json:"zone"`
	RegionFormat   string                                  `json:"regionFormat"`   // "{0} Time"
	FallbackFormat string                                  `json:"fallbackFormat"` // "{1} ({0})"
	City           map[string]string                       `json:"city"`           // exemplar cities of zones sharing a country
	Country        map[string]string                       `json:"country"`        // names of the zones' countries
}

var zoneNameSets sync.Map // data locale → *zoneNames

func zoneNamesOf(dataLocale string) *zoneNames {
	if z, ok := zoneNameSets.Load(dataLocale); ok {
		return z.(*zoneNames)
	}
	z := &zoneNames{}
	if err := Record("zonenames", dataLocale, z); err != nil {
		panic("intl: " + err.Error())
	}
	v, _ := zoneNameSets.LoadOrStore(dataLocale, z)
	return v.(*zoneNames)
}

// metazone is the metazone a zone belongs to at t ("" for none).
func metazone(id string, t time.Time) string {
	sec := t.Unix()
	if sec < 0 {
		return "" // ICU uses no metazone before 1970: local mean times are no Eastern Time
	}
	for _, use := range supp().Metazones[id] {
		from, _ := use[1].(float64)
		to, _ := use[2].(float64)
		if (from == 0 || sec >= int64(from)) && (to == 0 || sec < int64(to)) {
			name, _ := use[0].(string)
			return name
		}
	}
	return ""
}

// zoneName is the name of z at t for a z, zzzz, O, OOOO, v or vvvv field.
func (f *DateTimeFormat) zoneName(tok token, t time.Time, z Zone) (string, error) {
	_, offset := t.Zone()
	long := tok.n == 4
	if tok.field == 'O' {
		return f.localizedGMT(offset, long), nil
	}
	width := "short"
	if long {
		width = "long"
	}
	id := z.ID
	if id == "UTC" {
		id = "Etc/UTC"
	}
	names := f.zoneNames
	kind := "standard"
	if isDaylight(t) {
		kind = "daylight"
	}
	mz := metazone(id, t)
	if tok.field == 'z' {
		if n := names.Zone[id][width][kind]; n != "" {
			return n, nil
		}
		if n := names.Metazone[mz][width][kind]; n != "" {
			return n, nil
		}
		return f.localizedGMT(offset, long), nil
	}
	return f.genericName(id, width, t, offset, long)
}

// genericName is ICU's generic time zone name (v, vvvv): the zone's or
// its metazone's generic name ("Pacific Time"), the standard name of a
// zone that keeps one offset around t ("India Standard Time"), the
// metazone's name with the place where the locale's region has another
// zone for it ("Pacific Time (Los Angeles)"), else the location ("France
// Time", "Los Angeles Time"), else the GMT offset.
func (f *DateTimeFormat) genericName(id, width string, t time.Time, offset int, long bool) (string, error) {
	names := f.zoneNames
	if n := names.Zone[id][width]["generic"]; n != "" {
		return n, nil
	}
	name := ""
	if mz := metazone(id, t); mz != "" {
		if !observesDST(t) {
			std := names.Zone[id][width]["standard"]
			if std == "" {
				std = names.Metazone[mz][width]["standard"]
			}
			if std != "" && !(long && std == names.Metazone[mz]["long"]["generic"]) {
				name = std
			}
		}
		if g := names.Metazone[mz][width]["generic"]; name == "" && g != "" {
			name = g
			golden := supp().GoldenZones[mz][f.region]
			if golden == "" {
				golden = supp().GoldenZones[mz]["001"]
			}
			if golden != "" && golden != id && !sameOffsets(t, golden) {
				if loc := f.partialLocation(id, mz); loc != "" {
					name = strings.NewReplacer("{0}", loc, "{1}", g).Replace(names.FallbackFormat)
				}
			}
		}
	}
	if name == "" {
		if loc := f.location(id); loc != "" {
			name = strings.Replace(names.RegionFormat, "{0}", loc, 1)
		}
	}
	if name == "" {
		return f.localizedGMT(offset, long), nil
	}
	return name, nil
}

// location is a zone's place: its country's name if the zone stands for
// it, else its exemplar city (or its name's last part); "" for a zone of
// no country.
func (f *DateTimeFormat) location(id string) string {
	country := supp().Countries[id]
	if country == "" {
		return ""
	}
	if supp().PrimaryZones[id] {
		if n := f.zoneNames.Country[country]; n != "" {
			return n
		}
	}
	if c := f.zoneNames.City[id]; c != "" {
		return c
	}
	return strings.ReplaceAll(id[strings.LastIndex(id, "/")+1:], "_", " ")
}

// partialLocation is the place that tells a zone from the metazone's
// zone in the locale's region: its country if the zone stands for the
// metazone there (Central Time (United States) for Chicago), else its
// exemplar city.
func (f *DateTimeFormat) partialLocation(id, mz string) string {
	country := supp().Countries[id]
	golden := supp().GoldenZones[mz][country]
	if golden == "" {
		golden = supp().GoldenZones[mz]["001"]
	}
	if country != "" && golden == id {
		if n := f.zoneNames.Country[country]; n != "" {
			return n
		}
	}
	if c := f.zoneNames.City[id]; c != "" {
		return c
	}
	return strings.ReplaceAll(id[strings.LastIndex(id, "/")+1:], "_", " ")
}

// sameOffsets tells whether the zone of t and another have the same
// offset and daylight time at t.
func sameOffsets(t time.Time, other string) bool {
	goName, _, ok := LookupZone(other)
	if !ok {
		return true
	}
	loc, err := loadZone(goName)
	if err != nil {
		return true
	}
	o := t.In(loc)
	_, a := t.Zone()
	_, b := o.Zone()
	return a == b && isDaylight(t) == isDaylight(o)
}

var zoneCache sync.Map // Go zone name → *time.Location

func loadZone(name string) (*time.Location, error) {
	if l, ok := zoneCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zoneCache.Store(name, l)
	return l, nil
}

// isDaylight tells whether t is in its zone's daylight saving time as
// ICU counts it: the larger of the year's offsets. Go's tz data mark
// Ireland's winter as the saving time (a negative one, as the tz source
// has it); ICU's, like the older form of the data, its summer.
func isDaylight(t time.Time) bool {
	_, off := t.Zone()
	for _, d := range []int{-6, 6, -3, 3} {
		o := t.AddDate(0, d, 0)
		if _, off2 := o.Zone(); off2 != off && (t.IsDST() || o.IsDST()) {
			return off > off2
		}
	}
	return t.IsDST()
}

// observesDST tells whether t's zone keeps daylight saving time within
// half a year of t (as ICU checks before it calls a zone by its standard
// name); a change of standard offset is no saving time.
func observesDST(t time.Time) bool {
	if t.IsDST() {
		return true
	}
	for _, d := range []int{-6, -4, -2, 2, 4, 6} {
		if t.AddDate(0, d, 0).IsDST() {
			return true
		}
	}
	return false
}

// localizedGMT is an offset in the locale's GMT format: long "GMT-04:00",
// short "GMT-4" and "GMT+5:30"; seconds when the offset has them (local
// mean time, before 1900).
func (f *DateTimeFormat) localizedGMT(offset int, long bool) string {
	names := f.zoneNames
	pos, neg, _ := strings.Cut(names.HourFormat, ";")
	pattern := pos
	if offset < 0 {
		pattern, offset = neg, -offset
	}
	h, m, s := offset/3600, offset/60%60, offset%60
	var b strings.Builder
	for _, t := range parseDatePattern(pattern) {
		switch t.field {
		case 0:
			b.WriteString(t.lit)
		case 'H':
			if long {
				b.WriteString(pad(h, 2))
			} else {
				b.WriteString(strconv.Itoa(h))
			}
		case 'm':
			if !long && m == 0 && s == 0 {
				// The short form ends at the hour, as ICU truncates the
				// pattern (he's "-HH:mm\u200e" is "-4" then).
				str := b.String()
				b.Reset()
				b.WriteString(strings.TrimRight(str, ":.\u00a0 "))
				return strings.Replace(names.GMTFormat, "{0}", Transliterate(b.String(), f.numbering), 1)
			}
			b.WriteString(pad(m, 2))
			if s != 0 {
				b.WriteString(":" + pad(s, 2))
			}
		}
	}
	return strings.Replace(names.GMTFormat, "{0}", Transliterate(b.String(), f.numbering), 1)
}

func pad(n, width int) string {
	s := strconv.Itoa(n)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
