package intl

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// zoneNames are a locale's time zone names (CLDR timeZoneNames).
type zoneNames struct {
	HourFormat    string                                  `json:"hourFormat"`
	GMTFormat     string                                  `json:"gmtFormat"`
	GMTZeroFormat string                                  `json:"gmtZeroFormat"`
	Metazone      map[string]map[string]map[string]string `json:"metazone"` // name → long/short → generic/standard/daylight
	Zone          map[string]map[string]map[string]string `json:"zone"`
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
	// Generic names: the zone's or its metazone's; the standard name of
	// a zone that keeps one offset all year.
	if mz == "" {
		return f.localizedGMT(offset, long), nil
	}
	if n := names.Zone[id][width]["generic"]; n != "" {
		return n, nil
	}
	if n := names.Metazone[mz][width]["generic"]; n != "" {
		return n, nil
	}
	if !observesDST(t) {
		if n := names.Metazone[mz][width]["standard"]; n != "" {
			return n, nil
		}
	}
	// ICU writes the zone's country here ("France Time"); CLDR's
	// territory names are not among our data.
	return "", fmt.Errorf("timeZoneName %sGeneric: no such name for %s in this locale (ICU writes the country's name, which our CLDR data lack)", width, z.ID)
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

// observesDST tells whether t's zone changes offset within a year around t.
func observesDST(t time.Time) bool {
	_, o := t.Zone()
	for _, d := range []int{-6, -3, 3, 6} {
		if _, o2 := t.AddDate(0, d, 0).Zone(); o2 != o {
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
	for _, t := range parsePattern(pattern) {
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
				// the short form drops the minutes, and the separator before them
				str := b.String()
				b.Reset()
				b.WriteString(strings.TrimRight(str, ":.\u00a0 "))
				continue
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
