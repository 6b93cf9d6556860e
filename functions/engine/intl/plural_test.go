package intl

import "testing"

// Categories from CLDR 48's rules (their own @integer and @decimal samples).
func TestPlurals(t *testing.T) {
	for _, c := range []struct {
		locale  string
		ordinal bool
		i, f    string
		want    string
	}{
		{"en", false, "1", "", "one"},
		{"en", false, "1", "0", "other"},
		{"en", false, "2", "", "other"},
		{"en", true, "1", "", "one"},
		{"en", true, "22", "", "two"},
		{"en", true, "13", "", "other"},
		{"en", true, "103", "", "few"},
		{"ru", false, "21", "", "one"},
		{"ru", false, "22", "", "few"},
		{"ru", false, "11", "", "many"},
		{"ru", false, "1", "5", "other"},
		{"pl", false, "5", "", "many"},
		{"fr", false, "0", "", "one"},
		{"fr", false, "1", "5", "one"},
		{"fr", false, "1000000", "", "many"},
		{"ar", false, "0", "", "zero"},
		{"ar", false, "2", "", "two"},
		{"ar", false, "103", "", "few"},
		{"ar", false, "111", "", "many"},
		{"ja", false, "1", "", "other"},
		{"pt-PT", false, "0", "", "other"},
		{"pt", false, "0", "", "one"},
		{"he", false, "2", "", "two"},
		{"cs", false, "1", "5", "many"},
		{"en", false, "123456789012345678901", "", "other"},
	} {
		if got := Plurals(c.locale, c.ordinal).Select(OperandsOf(c.i, c.f, 0)); got != c.want {
			t.Errorf("%s ordinal=%v %s.%s: got %s, want %s", c.locale, c.ordinal, c.i, c.f, got, c.want)
		}
	}
	if got := Plurals("ar", false).Categories(); len(got) != 6 || got[0] != "few" || got[5] != "other" {
		t.Errorf("ar categories: %v", got)
	}
}
