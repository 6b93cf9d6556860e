package main

import (
	"strings"

	"github.com/scriptforge/scriptforge/functions/engine/intl"
)

// The units table: per locale and display (long, short, narrow), each
// sanctioned unit's patterns by plural category and its "per" pattern,
// the compound units CLDR names of two of them (kilometer-per-hour),
// and the display's generic "per" pattern.
func init() {
	tables["units"] = func(c *cldr, locale string) (any, error) {
		var f struct {
			Main map[string]struct {
				Units map[string]map[string]any `json:"units"`
			} `json:"main"`
		}
		if err := c.read("cldr-units-full", "main/"+locale+"/units.json", &f); err != nil {
			return nil, err
		}
		wanted := map[string]bool{}
		for _, u := range intl.SanctionedUnits {
			wanted[u] = true
		}
		out := map[string]any{}
		for _, display := range []string{"long", "short", "narrow"} {
			rec := map[string]any{}
			for key, v := range f.Main[locale].Units[display] {
				if key == "per" {
					rec["per"] = v.(map[string]any)["compoundUnitPattern"]
					continue
				}
				_, unit, ok := strings.Cut(key, "-")
				if !ok {
					continue
				}
				num, den, isPer := strings.Cut(unit, "-per-")
				if !wanted[unit] && !(isPer && wanted[num] && wanted[den]) {
					continue
				}
				m, _ := v.(map[string]any)
				u := map[string]any{}
				for k, p := range m {
					if count, ok := strings.CutPrefix(k, "unitPattern-count-"); ok {
						u[count] = p
					}
				}
				u["per"] = m["perUnitPattern"]
				rec[unit] = u
			}
			out[display] = rec
		}
		return out, nil
	}
}
