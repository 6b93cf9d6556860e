package main

import (
	"encoding/json"
	"strings"
)

// The alias data of UTS #35's locale canonicalization: deprecated,
// legacy and overlong language, script, region and variant subtags, and
// what replaces them (cmn → zh, SU → RU or another successor, heploc →
// alalc97).
func init() {
	extras = append(extras, aliases, keywordAliases, likely)
}

func aliases(c *cldr) error {
	type rule struct {
		Replacement string `json:"_replacement"`
	}
	var f struct {
		Supplemental struct {
			Metadata struct {
				Alias struct {
					Language  map[string]rule `json:"languageAlias"`
					Script    map[string]rule `json:"scriptAlias"`
					Territory map[string]rule `json:"territoryAlias"`
					Variant   map[string]rule `json:"variantAlias"`
					Subdiv    map[string]rule `json:"subdivisionAlias"`
				} `json:"alias"`
			} `json:"metadata"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/aliases.json", &f); err != nil {
		return err
	}
	a := f.Supplemental.Metadata.Alias
	flat := func(m map[string]rule) map[string]string {
		out := make(map[string]string, len(m))
		for k, r := range m {
			out[k] = r.Replacement
		}
		return out
	}
	return writeJSON("data/aliases.json", map[string]any{
		"language": flat(a.Language), "script": flat(a.Script), "territory": flat(a.Territory), "variant": flat(a.Variant),
		"subdivision": flat(a.Subdiv),
	})
}

// keywordAliases writes data/keywords.json: for each -u- and -t- key
// ("u-ca", "t-m0"), the values
// that are aliases or deprecated, and the value that replaces each
// (ca: ethiopic-amete-alem → ethioaa; ks: primary → level1; kb: yes →
// true; tz: cnckg → cnsha), from the cldr-bcp47 package.
func keywordAliases(c *cldr) error {
	out := map[string]map[string]string{}
	files := []string{"calendar", "collation", "currency", "measure", "number", "timezone", "variant", "segmentation",
		"transform", "transform-destination", "transform_hybrid", "transform_ime", "transform_keyboard", "transform_mt", "transform_private_use"}
	for _, file := range files {
		var f struct {
			Keyword struct {
				U map[string]map[string]json.RawMessage `json:"u"`
				T map[string]map[string]json.RawMessage `json:"t"`
			} `json:"keyword"`
		}
		if err := c.read("cldr-bcp47", "bcp47/"+file+".json", &f); err != nil {
			return err
		}
		keywords := map[string]map[string]json.RawMessage{}
		for k, v := range f.Keyword.U {
			keywords["u-"+k] = v
		}
		for k, v := range f.Keyword.T {
			keywords["t-"+k] = v
		}
		for key, values := range keywords {
			type value struct {
				Alias     string `json:"_alias"`
				Preferred string `json:"_preferred"`
			}
			parsed := map[string]value{}
			for name, raw := range values {
				var v value
				if !strings.HasPrefix(name, "_") && json.Unmarshal(raw, &v) == nil {
					parsed[name] = v
				}
			}
			// canonical is where a value leads: its preferred value, if
			// it is deprecated (islamicc → islamic-civil).
			canonical := func(name string) string {
				if p := parsed[name].Preferred; p != "" {
					return p
				}
				return name
			}
			add := func(from, to string) {
				if from == to {
					return
				}
				if out[key] == nil {
					out[key] = map[string]string{}
				}
				out[key][from] = to
			}
			for name, v := range parsed {
				add(name, canonical(name))
				for _, a := range strings.Fields(v.Alias) {
					if strings.Contains(a, "/") {
						continue // an IANA name (a tz value's): not a subtag
					}
					if _, isValue := parsed[strings.ToLower(a)]; !isValue {
						a = strings.ToLower(a)
						add(a, canonical(name)) // an alias that is not itself a value
					}
				}
			}
		}
	}
	return writeJSON("data/keywords.json", out)
}

// likely writes data/likely.json: CLDR's likely subtags (zh → zh-Hans-CN,
// und-TW → zh-Hant-TW), for Intl.Locale's maximize and minimize.
func likely(c *cldr) error {
	var f struct {
		Supplemental struct {
			LikelySubtags map[string]string `json:"likelySubtags"`
		} `json:"supplemental"`
	}
	if err := c.read("cldr-core", "supplemental/likelySubtags.json", &f); err != nil {
		return err
	}
	return writeJSON("data/likely.json", f.Supplemental.LikelySubtags)
}
