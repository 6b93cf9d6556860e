package main

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// The tables of Intl.DateTimeFormat: each locale's Gregorian calendar
// (names, patterns, availableFormats) in "dates", its time zone names in
// "zonenames", and, as extras, the supplemental data they need.
func init() {
	tables["dates"] = datesRecord
	tables["zonenames"] = zoneNamesRecord
	extras = append(extras, dateSupplement)
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// nameLists turns CLDR's {"1": "Jan", …} or {"sun": "Sun", …} widths into
// ordered lists per width.
func nameLists(widths map[string]map[string]string, keys []string) map[string][]string {
	out := map[string][]string{}
	for w, names := range widths {
		list := make([]string, len(keys))
		for i, k := range keys {
			list[i] = names[k]
		}
		out[w] = list
	}
	return out
}

func datesRecord(c *cldr, locale string) (any, error) {
	var f struct {
		Main map[string]struct {
			Dates struct {
				Calendars struct {
					Gregorian struct {
						Months      map[string]map[string]map[string]string `json:"months"`
						Days        map[string]map[string]map[string]string `json:"days"`
						DayPeriods  map[string]map[string]map[string]string `json:"dayPeriods"`
						Eras        map[string]map[string]string            `json:"eras"`
						DateFormats map[string]string                       `json:"dateFormats"`
						TimeFormats map[string]string                       `json:"timeFormats"`
						DateTime    map[string]any                          `json:"dateTimeFormats"`
						AtTime      map[string]map[string]string            `json:"dateTimeFormats-atTime"`
					} `json:"gregorian"`
				} `json:"calendars"`
			} `json:"dates"`
		} `json:"main"`
	}
	if err := c.read("cldr-dates-full", "main/"+locale+"/ca-gregorian.json", &f); err != nil {
		return nil, err
	}
	g := f.Main[locale].Dates.Calendars.Gregorian
	months := []string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"}
	rec := map[string]any{}
	for ctx, widths := range g.Months {
		rec["months-"+ctx] = nameLists(widths, months)
	}
	for ctx, widths := range g.Days {
		rec["days-"+ctx] = nameLists(widths, weekdays)
	}
	for ctx, widths := range g.DayPeriods {
		plain := map[string]map[string]string{}
		for w, names := range widths {
			plain[w] = withoutAlts(names)
		}
		rec["dayPeriods-"+ctx] = plain
	}
	eras := map[string][]string{}
	for w, names := range g.Eras {
		eras[w] = []string{names["0"], names["1"]}
	}
	rec["eras"] = eras
	rec["dateFormats"] = withoutAlts(g.DateFormats)
	rec["timeFormats"] = withoutAlts(g.TimeFormats)
	std := map[string]string{}
	for _, k := range []string{"full", "long", "medium", "short"} {
		if s, ok := g.DateTime[k].(string); ok {
			std[k] = s
		}
	}
	rec["dateTimeFormats"] = std
	rec["atTime"] = g.AtTime["standard"]
	avail := map[string]string{}
	if m, ok := g.DateTime["availableFormats"].(map[string]any); ok {
		for k, v := range m {
			if s, ok := v.(string); ok && !strings.Contains(k, "-") {
				avail[k] = s
			}
		}
	}
	rec["available"] = avail
	if m, ok := g.DateTime["intervalFormats"].(map[string]any); ok {
		rec["intervalFallback"] = m["intervalFormatFallback"]
		iv := map[string]any{}
		for k, v := range m {
			if k != "intervalFormatFallback" && !strings.Contains(k, "-") {
				iv[k] = v
			}
		}
		rec["intervals"] = iv
	}
	if m, ok := g.DateTime["appendItems"].(map[string]any); ok {
		rec["appendItems"] = m
	}
	var fields struct {
		Main map[string]struct {
			Dates struct {
				Fields map[string]map[string]any `json:"fields"`
			} `json:"dates"`
		} `json:"main"`
	}
	if err := c.read("cldr-dates-full", "main/"+locale+"/dateFields.json", &fields); err != nil {
		return nil, err
	}
	names := map[string]any{}
	for _, k := range []string{"era", "year", "month", "week", "weekday", "day", "dayperiod", "hour", "minute", "second", "zone"} {
		names[k] = fields.Main[locale].Dates.Fields[k]["displayName"]
	}
	rec["fieldNames"] = names
	// The decimal separator of fractional seconds, per numbering system.
	var num struct {
		Main map[string]struct {
			Numbers map[string]any `json:"numbers"`
		} `json:"main"`
	}
	if err := c.read("cldr-numbers-full", "main/"+locale+"/numbers.json", &num); err != nil {
		return nil, err
	}
	decimals := map[string]any{}
	for k, v := range num.Main[locale].Numbers {
		if ns, ok := strings.CutPrefix(k, "symbols-numberSystem-"); ok {
			decimals[ns] = v.(map[string]any)["decimal"]
		}
	}
	rec["decimal"] = decimals
	return rec, nil
}

// withoutAlts drops CLDR's -alt- variants (ascii spaces, "am" for AM):
// ICU formats with the plain values.
func withoutAlts(m map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		if !strings.Contains(k, "-alt-") {
			out[k] = v
		}
	}
	return out
}

func zoneNamesRecord(c *cldr, locale string) (any, error) {
	var f struct {
		Main map[string]struct {
			Dates struct {
				TZ map[string]any `json:"timeZoneNames"`
			} `json:"dates"`
		} `json:"main"`
	}
	if err := c.read("cldr-dates-full", "main/"+locale+"/timeZoneNames.json", &f); err != nil {
		return nil, err
	}
	tz := f.Main[locale].Dates.TZ
	rec := map[string]any{}
	for _, k := range []string{"hourFormat", "gmtFormat", "gmtZeroFormat"} {
		rec[k] = tz[k]
	}
	rec["metazone"] = tz["metazone"]
	rec["regionFormat"] = tz["regionFormat"]
	rec["fallbackFormat"] = tz["fallbackFormat"]
	countries, primary := c.zoneCountries()
	// Zone-specific names (British Summer Time), and the exemplar cities
	// of the zones that share a country (Los Angeles Time).
	zones := map[string]any{}
	cities := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			sub, ok := v.(map[string]any)
			if !ok {
				continue
			}
			if _, isZone := sub["_type"]; isZone {
				if city, ok := sub["exemplarCity"]; ok && countries[prefix+k] != "" && !primary[prefix+k] {
					cities[prefix+k] = city
				}
				names := map[string]any{}
				for _, w := range []string{"long", "short"} {
					if n, ok := sub[w]; ok {
						names[w] = n
					}
				}
				if len(names) > 0 {
					zones[prefix+k] = names
				}
				continue
			}
			walk(prefix+k+"/", sub)
		}
	}
	if z, ok := tz["zone"].(map[string]any); ok {
		walk("", z)
	}
	rec["zone"] = zones
	rec["city"] = cities
	// The names of the countries of zones (France Time, and "Central Time
	// (United States)" for the zone that stands for its metazone there).
	var terr struct {
		Main map[string]struct {
			Names struct {
				Territories map[string]string `json:"territories"`
			} `json:"localeDisplayNames"`
		} `json:"main"`
	}
	if err := c.read("cldr-localenames-full", "main/"+locale+"/territories.json", &terr); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err // the root has no names: codes, as ICU's root
	}
	names := map[string]string{}
	for _, country := range countries {
		names[country] = terr.Main[locale].Names.Territories[country]
	}
	rec["country"] = names
	return rec, nil
}

// zoneCountries are the country of each zone (CLDR's windowsZones, the
// one source of it among our packages) and the zones that stand for
// their country: its only zone, or its primary one (primaryZones).
func (c *cldr) zoneCountries() (map[string]string, map[string]bool) {
	if c.countries != nil {
		return c.countries, c.primary
	}
	var w struct {
		Supplemental struct {
			WindowsZones struct {
				MapTimezones []struct {
					MapZone struct {
						Territory string `json:"_territory"`
						Type      string `json:"_type"`
					} `json:"mapZone"`
				} `json:"mapTimezones"`
			} `json:"windowsZones"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/windowsZones.json", &w); err != nil {
		panic(err)
	}
	var p struct {
		Supplemental struct {
			PrimaryZones map[string]string `json:"primaryZones"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/primaryZones.json", &p); err != nil {
		panic(err)
	}
	countries := map[string]string{}
	perCountry := map[string]int{}
	for _, m := range w.Supplemental.WindowsZones.MapTimezones {
		if m.MapZone.Territory == "001" || m.MapZone.Territory == "ZZ" {
			continue
		}
		for _, z := range strings.Fields(m.MapZone.Type) {
			if _, seen := countries[z]; !seen && !strings.HasPrefix(z, "Etc/") {
				countries[z] = m.MapZone.Territory
				perCountry[m.MapZone.Territory]++
			}
		}
	}
	primary := map[string]bool{}
	for z, country := range countries {
		primary[z] = perCountry[country] == 1 || p.Supplemental.PrimaryZones[country] == z
	}
	c.countries, c.primary = countries, primary
	return countries, primary
}

// dateSupplement writes data/datesupp.json: the calendars of regions, the day period rules of languages, the
// metazone of each zone over time, and the time zone names with the
// canonical spelling that ICU (and so Node) shows.
func dateSupplement(c *cldr) error {
	var cal struct {
		Supplemental struct {
			Pref map[string][]string `json:"calendarPreferenceData"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/calendarPreferenceData.json", &cal); err != nil {
		return err
	}
	calendars := map[string]string{}
	for k, v := range cal.Supplemental.Pref {
		calendars[k] = v[0]
	}
	var dp struct {
		Supplemental struct {
			Rules map[string]map[string]map[string]string `json:"dayPeriodRuleSet"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/dayPeriods.json", &dp); err != nil {
		return err
	}
	dayPeriods := map[string]any{}
	for lang, rules := range dp.Supplemental.Rules {
		if base, _, _ := strings.Cut(lang, "_"); !contains(languages, base) && lang != "root" {
			continue
		}
		dayPeriods[lang] = rules
	}
	var mz struct {
		Supplemental struct {
			MetaZones struct {
				Info struct {
					Timezone map[string]any `json:"timezone"`
				} `json:"metazoneInfo"`
			} `json:"metaZones"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/metaZones.json", &mz); err != nil {
		return err
	}
	// zone → [[metazone, from, to], …] in Unix seconds (0: open).
	meta := map[string][][3]any{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch x := v.(type) {
		case []any:
			var uses [][3]any
			for _, u := range x {
				m := u.(map[string]any)["usesMetazone"].(map[string]any)
				uses = append(uses, [3]any{m["_mzone"], cldrTime(m["_from"]), cldrTime(m["_to"])})
			}
			meta[strings.TrimSuffix(prefix, "/")] = uses
		case map[string]any:
			for k, sub := range x {
				walk(prefix+k+"/", sub)
			}
		}
	}
	walk("", mz.Supplemental.MetaZones.Info.Timezone)
	names, err := zoneSpellings(meta)
	if err != nil {
		return err
	}
	countries, primary := c.zoneCountries()
	var golden struct {
		Supplemental struct {
			MetaZones struct {
				Metazones []struct {
					MapZone struct {
						Other     string `json:"_other"`
						Territory string `json:"_territory"`
						Type      string `json:"_type"`
					} `json:"mapZone"`
				} `json:"metazones"`
			} `json:"metaZones"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/metaZones.json", &golden); err != nil {
		return err
	}
	goldens := map[string]map[string]string{} // metazone → territory → its zone
	for _, m := range golden.Supplemental.MetaZones.Metazones {
		if goldens[m.MapZone.Other] == nil {
			goldens[m.MapZone.Other] = map[string]string{}
		}
		goldens[m.MapZone.Other][m.MapZone.Territory] = m.MapZone.Type
	}
	// The decimal separator of each numbering system where a locale has
	// none of its own for it (en-u-nu-arab: ICU's root has ٫): as the
	// locales that write in it by default have it.
	decimals := map[string]string{}
	for _, loc := range c.locales {
		var num struct {
			Main map[string]struct {
				Numbers map[string]any `json:"numbers"`
			} `json:"main"`
		}
		if err := c.read("cldr-numbers-full", "main/"+loc+"/numbers.json", &num); err != nil {
			return err
		}
		n := num.Main[loc].Numbers
		ns, _ := n["defaultNumberingSystem"].(string)
		if sym, ok := n["symbols-numberSystem-"+ns].(map[string]any); ok && decimals[ns] == "" {
			decimals[ns], _ = sym["decimal"].(string)
		}
	}
	return writeJSON("data/datesupp.json", map[string]any{
		"decimals": decimals, "countries": countries, "primaryZones": primary, "goldenZones": goldens,
		"calendars": calendars, "dayPeriods": dayPeriods, "metazones": meta, "zones": names,
	})
}

// cldrTime is a metazone boundary ("1983-10-30 12:00", UTC) in Unix seconds.
func cldrTime(v any) int64 {
	s, _ := v.(string)
	if s == "" {
		return 0
	}
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

// zoneSpellings maps every zone name Go's tz database knows, lower case,
// to its own spelling (which Go loads) and the name ICU reports for it: CLDR's canonical zone (the keys of
// metaZones: Asia/Calcutta for Asia/Kolkata, Europe/Kiev for Europe/Kyiv)
// when the name is a link to one, which shows as identical zone data in
// Go's zoneinfo.zip (the same tz release as Node's ICU, 2025c); the UTC
// aliases are "UTC" as ECMA-402 wants.
func zoneSpellings(meta map[string][][3]any) (map[string][2]string, error) {
	z, err := zip.OpenReader(filepath.Join(runtime.GOROOT(), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		return nil, err
	}
	defer z.Close()
	sums := map[string][32]byte{}
	byContent := map[[32]byte][]string{}
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		if _, err := io.Copy(&b, rc); err != nil {
			return nil, err
		}
		rc.Close()
		s := sha256.Sum256(b.Bytes())
		sums[f.Name] = s
		byContent[s] = append(byContent[s], f.Name)
	}
	utc := sums["Etc/UTC"]
	gmt := sums["Etc/GMT"]
	out := map[string][2]string{}
	for name, s := range sums {
		canon := name
		switch {
		case s == utc || s == gmt:
			canon = "UTC"
		case meta[name] != nil:
		default:
			var cands []string
			for _, other := range byContent[s] {
				if meta[other] != nil {
					cands = append(cands, other)
				}
			}
			sort.Strings(cands)
			if len(cands) > 0 {
				canon = cands[0] // a link: several candidates only for legacy names (CET)
			}
		}
		out[strings.ToLower(name)] = [2]string{name, canon}
	}
	return out, nil
}
