package main

import (
	"encoding/json"
	"sort"
	"strings"
)

// localeInfo writes data/localeinfo.json, what Intl.Locale's info
// accessors tell (weekInfo, hourCycles, calendars, textInfo, timeZones):
// CLDR's week data and preferred hour cycles by region, calendar
// preferences by region (as BCP 47 calendar ids), right-to-left scripts,
// each region's time zones (cldr-bcp47's, by their IANA names), and the
// currencies in use somewhere (for Intl.supportedValuesOf).
func init() {
	extras = append(extras, localeInfo)
}

func localeInfo(c *cldr) error {
	var week struct {
		Supplemental struct {
			WeekData struct {
				MinDays      map[string]string `json:"minDays"`
				FirstDay     map[string]string `json:"firstDay"`
				WeekendStart map[string]string `json:"weekendStart"`
				WeekendEnd   map[string]string `json:"weekendEnd"`
			} `json:"weekData"`
		} `json:"supplemental"`
	}
	var hours struct {
		Supplemental struct {
			TimeData map[string]struct {
				Preferred string `json:"_preferred"`
			} `json:"timeData"`
		} `json:"supplemental"`
	}
	var cals struct {
		Supplemental struct {
			Prefs map[string][]string `json:"calendarPreferenceData"`
		} `json:"supplemental"`
	}
	var scripts struct {
		ScriptMetadata map[string]struct {
			RTL string `json:"rtl"`
		} `json:"scriptMetadata"`
	}
	var zones struct {
		Keyword struct {
			U struct {
				TZ map[string]json.RawMessage `json:"tz"`
			} `json:"u"`
		} `json:"keyword"`
	}
	var calIDs struct {
		Keyword struct {
			U struct {
				CA map[string]json.RawMessage `json:"ca"`
			} `json:"u"`
		} `json:"keyword"`
	}
	for _, r := range []struct {
		pkg, file string
		v         any
	}{
		{"cldr-core", "supplemental/weekData.json", &week}, {"cldr-core", "supplemental/timeData.json", &hours},
		{"cldr-core", "supplemental/calendarPreferenceData.json", &cals}, {"cldr-core", "scriptMetadata.json", &scripts},
		{"cldr-bcp47", "bcp47/timezone.json", &zones}, {"cldr-bcp47", "bcp47/calendar.json", &calIDs},
	} {
		if err := c.read(r.pkg, r.file, r.v); err != nil {
			return err
		}
	}
	hourCycles := map[string]string{"h": "h12", "H": "h23", "K": "h11", "k": "h24"}
	preferred := map[string]string{}
	for region, t := range hours.Supplemental.TimeData {
		if hc, ok := hourCycles[t.Preferred]; ok {
			preferred[strings.ReplaceAll(region, "_", "-")] = hc
		}
	}
	// CLDR names calendars as LDML does (gregorian); Intl as BCP 47 does
	// (gregory): a calendar key's alias is its LDML name.
	bcp := map[string]string{}
	for id, raw := range calIDs.Keyword.U.CA {
		var v struct {
			Alias string `json:"_alias"`
		}
		if !strings.HasPrefix(id, "_") && json.Unmarshal(raw, &v) == nil {
			for _, a := range strings.Fields(v.Alias) {
				bcp[a] = id
			}
		}
	}
	calendars := map[string][]string{}
	for region, list := range cals.Supplemental.Prefs {
		for _, c := range list {
			if _, isID := calIDs.Keyword.U.CA[c]; !isID {
				if id, ok := bcp[c]; ok {
					c = id // gregorian → gregory; islamic-civil is an id already
				}
			}
			calendars[region] = append(calendars[region], c)
		}
	}
	var rtl []string
	for script, m := range scripts.ScriptMetadata {
		if m.RTL == "YES" {
			rtl = append(rtl, script)
		}
	}
	sort.Strings(rtl)
	byRegion := map[string][]string{}
	for key, raw := range zones.Keyword.U.TZ {
		var v struct {
			Alias      string `json:"_alias"`
			Deprecated bool   `json:"_deprecated"`
		}
		if strings.HasPrefix(key, "_") || json.Unmarshal(raw, &v) != nil || v.Deprecated || len(key) < 3 {
			continue
		}
		names := strings.Fields(v.Alias)
		if len(names) == 0 || !strings.Contains(names[0], "/") || strings.HasPrefix(names[0], "Etc/") {
			continue // UTC, Etc/GMT+1, Etc/Unknown and the like: no region
		}
		region := strings.ToUpper(key[:2])
		byRegion[region] = append(byRegion[region], names[0])
	}
	for _, list := range byRegion {
		sort.Strings(list)
	}
	var money struct {
		Supplemental struct {
			CurrencyData struct {
				Region map[string][]map[string]struct {
					To     string `json:"_to"`
					Tender string `json:"_tender"`
				} `json:"region"`
			} `json:"currencyData"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/currencyData.json", &money); err != nil {
		return err
	}
	inUse := map[string]bool{}
	for _, list := range money.Supplemental.CurrencyData.Region {
		for _, entry := range list {
			for code, e := range entry {
				if e.To == "" && e.Tender != "false" {
					inUse[code] = true
				}
			}
		}
	}
	currencies := make([]string, 0, len(inUse))
	for code := range inUse {
		currencies = append(currencies, code)
	}
	sort.Strings(currencies)
	return writeJSON("data/localeinfo.json", map[string]any{
		"week": week.Supplemental.WeekData, "hourCycles": preferred, "calendars": calendars, "rtl": rtl, "zones": byRegion,
		"currencies": currencies,
	})
}
