package intl

import "testing"

func TestDisplayName(t *testing.T) {
	for _, c := range []struct{ locale, typ, style, code, want string }{
		{"en", "region", "long", "US", "United States"},
		{"de", "region", "long", "us", "Vereinigte Staaten"},
		{"en", "region", "short", "US", "US"},
		{"en", "language", "long", "en-US", "American English"},
		{"en", "language", "long", "sr-Latn-RS", "Serbian (Latin, Serbia)"},
		{"en", "language", "long", "zh-Hant", "Traditional Chinese"},
		{"en", "language", "long", "en-XY", "English (XY)"},
		{"en", "script", "long", "latn", "Latin"},
		{"en", "calendar", "long", "gregory", "Gregorian Calendar"},
		{"fr", "dateTimeField", "long", "weekOfYear", "semaine"},
		{"en", "dateTimeField", "short", "year", "yr."},
	} {
		_, got, found, err := DisplayName(c.locale, c.typ, c.style, "dialect", c.code)
		if err != nil || !found || got != c.want {
			t.Errorf("DisplayName(%s, %s, %s, %s) = %q, %v, %v; want %q", c.locale, c.typ, c.style, c.code, got, found, err, c.want)
		}
	}
	for _, c := range []struct{ typ, code string }{
		{"region", "USA"}, {"language", "en-u-nu-arab"}, {"language", "en_US"}, {"script", "Lat"}, {"dateTimeField", "week"}, {"calendar", "g"},
	} {
		if _, _, _, err := DisplayName("en", c.typ, "long", "dialect", c.code); err == nil {
			t.Errorf("DisplayName(%s, %q): want an error", c.typ, c.code)
		}
	}
	if _, _, found, _ := DisplayName("en", "language", "long", "dialect", "xx"); found {
		t.Error("xx has a name")
	}
}
