package main

import (
	"errors"
	"io/fs"
	"strings"
)

// The display names table (Intl.DisplayNames): each locale's names of
// languages (with dialect names such as en-US), regions, scripts and
// calendars (cldr-localenames-full), of date fields (cldr-dates-full),
// and its pattern for "Language (Script, Region)". Alternative forms
// keep CLDR's -alt- suffix ("US-alt-short"); menu and variant forms,
// which ECMA-402 never shows, are left out.
func init() {
	tables["displaynames"] = func(c *cldr, locale string) (any, error) {
		type names map[string]string
		type ldn struct {
			Languages   names `json:"languages"`
			Territories names `json:"territories"`
			Scripts     names `json:"scripts"`
			Variants    names `json:"variants"`
			Pattern     names `json:"localeDisplayPattern"`
			Types       map[string]names
		}
		var l ldn
		for _, file := range []string{"languages", "territories", "scripts", "variants", "localeDisplayNames"} {
			var ln struct {
				Main map[string]struct {
					LDN ldn `json:"localeDisplayNames"`
				} `json:"main"`
			}
			err := c.read("cldr-localenames-full", "main/"+locale+"/"+file+".json", &ln)
			if errors.Is(err, fs.ErrNotExist) && file == "variants" {
				continue // few locales name variants
			}
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil // no names of its own (und, en-Shaw): its parent's serve
			}
			if err != nil {
				return nil, err
			}
			got := ln.Main[locale].LDN
			switch file { // each file fills one part
			case "languages":
				l.Languages = got.Languages
			case "territories":
				l.Territories = got.Territories
			case "scripts":
				l.Scripts = got.Scripts
			case "variants":
				l.Variants = got.Variants
			default:
				l.Pattern, l.Types = got.Pattern, got.Types
			}
		}
		var df struct {
			Main map[string]struct {
				Dates struct {
					Fields map[string]struct {
						DisplayName string `json:"displayName"`
					} `json:"fields"`
				} `json:"dates"`
			} `json:"main"`
		}
		if err := c.read("cldr-dates-full", "main/"+locale+"/dateFields.json", &df); err != nil {
			return nil, err
		}
		keep := func(m names) names {
			out := names{}
			for k, v := range m {
				if strings.Contains(k, "-alt-") && !strings.HasSuffix(k, "-alt-short") && !strings.HasSuffix(k, "-alt-stand-alone") {
					continue
				}
				if strings.Contains(k, "-menu-") {
					continue
				}
				out[k] = v
			}
			return out
		}
		fields := names{}
		for k, f := range df.Main[locale].Dates.Fields {
			if f.DisplayName != "" {
				fields[k] = f.DisplayName
			}
		}
		return map[string]any{
			"languages": keep(l.Languages), "regions": keep(l.Territories), "scripts": keep(l.Scripts), "variants": l.Variants,
			"calendars": l.Types["calendar"], "fields": fields,
			"pattern": l.Pattern["localePattern"], "separator": l.Pattern["localeSeparator"],
		}, nil
	}
}
