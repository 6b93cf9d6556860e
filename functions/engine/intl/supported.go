package intl

import (
	"fmt"
	"slices"
	"sort"
)

// Calendars are the calendars DateTimeFormat formats in.
var Calendars = []string{"gregory"}

// SupportedValues is Intl.supportedValuesOf(key): what this
// implementation supports of a kind, sorted; an error for an unknown key.
func SupportedValues(key string) ([]string, error) {
	var out []string
	switch key {
	case "calendar":
		out = slices.Clone(Calendars)
	case "collation":
		_, types := collations()
		for _, list := range types {
			for _, t := range list {
				if !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	case "currency":
		out = slices.Clone(localeInfo().Currencies)
	case "numberingSystem":
		for name := range digitTable() {
			out = append(out, name)
		}
	case "timeZone":
		for _, zones := range localeInfo().Zones {
			out = append(out, zones...)
		}
	case "unit":
		out = slices.Clone(SanctionedUnits)
	default:
		return nil, fmt.Errorf("invalid key: %s", key)
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}
