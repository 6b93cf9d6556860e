package main

import "strings"

// The list patterns table (Intl.ListFormat): for each type and style
// ("standard", "or-short", "unit-narrow"), the start, middle, end and
// two-element patterns.
func init() {
	tables["lists"] = func(c *cldr, locale string) (any, error) {
		var f struct {
			Main map[string]struct {
				ListPatterns map[string]map[string]string `json:"listPatterns"`
			} `json:"main"`
		}
		if err := c.read("cldr-misc-full", "main/"+locale+"/listPatterns.json", &f); err != nil {
			return nil, err
		}
		out := map[string]map[string]string{}
		for name, p := range f.Main[locale].ListPatterns {
			out[strings.TrimPrefix(name, "listPattern-type-")] = p
		}
		return out, nil
	}
}
