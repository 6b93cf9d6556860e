package intl

import (
	"slices"
	"testing"
)

func TestResolve(t *testing.T) {
	for _, c := range []struct {
		requested    []string
		locale, data string
		ext          map[string]string
	}{
		{nil, "en-US", "en", nil},
		{[]string{"de-DE"}, "de-DE", "de", nil},
		{[]string{"de-CH"}, "de-CH", "de-CH", nil},
		{[]string{"de-CH-1996"}, "de-CH", "de-CH", nil},
		{[]string{"zh-TW"}, "zh-TW", "zh-Hant", nil},
		{[]string{"zh-HK"}, "zh-HK", "zh-Hant-HK", nil},
		{[]string{"zh-CN"}, "zh-CN", "zh-Hans", nil},
		{[]string{"xx", "fr-CA"}, "fr-CA", "fr-CA", nil},
		{[]string{"xx-YY"}, "en-US", "en", nil},
		{[]string{"ar-EG-u-nu-latn-ca-gregory"}, "ar-EG", "ar-EG", map[string]string{"nu": "latn", "ca": "gregory"}},
		{[]string{"en-u-kn"}, "en", "en", map[string]string{"kn": ""}},
		{[]string{"en-x-private"}, "en", "en", nil},
	} {
		got := Resolve(c.requested, Formatting)
		if got.Locale != c.locale || got.Data != c.data || len(got.Extension) != len(c.ext) {
			t.Errorf("Resolve(%q) = %+v, want %s (data %s, extension %v)", c.requested, got, c.locale, c.data, c.ext)
			continue
		}
		for k, v := range c.ext {
			if got.Extension[k] != v {
				t.Errorf("Resolve(%q): extension %s = %q, want %q", c.requested, k, got.Extension[k], v)
			}
		}
	}
}

// Collator's locales are those with a tailoring of their own, as ICU's
// are: Node resolves en-GB to en and de-DE to de, but keeps en-US.
func TestResolveCollation(t *testing.T) {
	for tag, want := range map[string]string{
		"en-GB": "en", "en-US": "en-US", "de-DE": "de", "fr-CA": "fr-CA", "zh-TW": "zh-TW", "pt-BR": "pt", "sr-Latn": "sr-Latn", "xx": "en-US",
	} {
		if got := Resolve([]string{tag}, Collation); got.Locale != want {
			t.Errorf("Resolve(%s, Collation) = %+v, want %s", tag, got, want)
		}
	}
	if got := CollationTypes("de-AT"); len(got) != 1 || got[0] != "phonebk" {
		t.Errorf("CollationTypes(de-AT) = %v", got)
	}
}

func TestCanonicalize(t *testing.T) {
	for in, want := range map[string]string{
		"EN-us": "en-US", "de": "de", "zh-hant-tw": "zh-Hant-TW", "xx": "xx", "XX-yy": "xx-YY",
		"en-u-ca-gregory": "en-u-ca-gregory", "en-u-kn-true": "en-u-kn", "de-u-co-phonebk-kn-true-x-true": "de-u-co-phonebk-kn-x-true", "iw": "he", "": "", "en_US": "", "a": "", "en--US": "", "toolonglanguage": "",
		"x-private": "", "de-gregory-gregory": "", "en-u-a1-x": "", "en-a-x-a-y": "", "en-u-ca-gregory-u-nu-latn": "", "en-t-ar-aao": "", "i-klingon": "",
		"en-x-a-b": "en-x-a-b",
		// UTS #35 Annex C, with CLDR 48's aliases (the same answers as test262 and Node).
		"cmn": "zh", "sgn-GR": "gss", "ru-SU": "ru-RU", "hy-SU": "hy-AM", "mo": "ro", "cel-gaulish": "xtg", "ja-Latn-hepburn-heploc": "ja-Latn-alalc97",
		"en-latn-us-posix": "en-Latn-US-u-va-posix", "und-u-ca-ethiopic-amete-alem": "und-u-ca-ethioaa", "und-u-kb-yes": "und-u-kb",
		"und-u-tz-eire": "und-u-tz-iedub", "und-NO-u-sd-no23": "und-NO-u-sd-no50", "und-Latn-t-und-hani-m0-names": "und-Latn-t-und-hani-m0-prprname",
		"en-u-ca-gregory-ca-buddhist": "en-u-ca-gregory", "en-b-bb-a-aa-x-z": "en-a-aa-b-bb-x-z", "pt-u-attr2-attr1-ca-gregory": "pt-u-attr1-attr2-ca-gregory", "sl-rozaj-biske-1994": "sl-1994-biske-rozaj", "en-t-en-i0-handwrit": "en-t-en-i0-handwrit", "de-1996": "de-1996",
	} {
		got, err := Canonicalize(in)
		if want == "" {
			if err == nil {
				t.Errorf("Canonicalize(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("Canonicalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNumberingSystem(t *testing.T) {
	for _, c := range []struct{ locale, requested, want string }{
		{"en", "", "latn"}, {"ar-EG", "", "arab"}, {"ar", "", "latn"}, {"ar", "native", "arab"},
		{"en", "arab", "arab"}, {"en", "nonsense", "latn"}, {"bn", "", "beng"}, {"fa", "", "arabext"},
	} {
		if got := NumberingSystem(c.locale, c.requested); got != c.want {
			t.Errorf("NumberingSystem(%s, %q) = %s, want %s", c.locale, c.requested, got, c.want)
		}
	}
	if got := Transliterate("1,234.5", "arab"); got != "١,٢٣٤.٥" {
		t.Errorf("Transliterate = %q", got)
	}
}

func TestRecordMergesParents(t *testing.T) {
	// en-GB's own numbering record is empty: all of it comes from und.
	var rec struct{ Default string }
	if err := Record("numbering", "en-GB", &rec); err != nil || rec.Default != "latn" {
		t.Fatalf("en-GB: %+v, %v", rec, err)
	}
}

func TestLikelySubtags(t *testing.T) {
	for _, c := range []struct{ tag, max, min string }{
		{"zh", "zh-Hans-CN", "zh"}, {"zh-TW", "zh-Hant-TW", "zh-TW"}, {"zh-Hant", "zh-Hant-TW", "zh-TW"},
		{"und", "en-Latn-US", "en"}, {"und-TW", "zh-Hant-TW", "zh-TW"}, {"en-GB", "en-Latn-GB", "en-GB"},
		{"sr-ME", "sr-Latn-ME", "sr-ME"}, {"de-u-co-phonebk", "de-Latn-DE-u-co-phonebk", "de-u-co-phonebk"},
		{"en-Latn-US-posix", "en-Latn-US-posix", "en-posix"},
	} {
		if got := Maximize(c.tag); got != c.max {
			t.Errorf("Maximize(%s) = %s, want %s", c.tag, got, c.max)
		}
		if got := Minimize(c.tag); got != c.min {
			t.Errorf("Minimize(%s) = %s, want %s", c.tag, got, c.min)
		}
	}
}

func TestInfoOf(t *testing.T) {
	us := InfoOf("en-US")
	if us.Week.FirstDay != 7 || !slices.Equal(us.Week.Weekend, []int{6, 7}) || us.HourCycles[0] != "h12" || len(us.TimeZones) != 29 || us.Direction != "ltr" {
		t.Errorf("en-US: %+v", us)
	}
	he := InfoOf("he")
	if he.Direction != "rtl" || he.TimeZones != nil || !slices.Equal(he.Week.Weekend, []int{5, 6}) {
		t.Errorf("he: %+v", he)
	}
	fa := InfoOf("fa-IR")
	if fa.Week.FirstDay != 6 || !slices.Equal(fa.Week.Weekend, []int{5}) || fa.NumberingSystems[0] != "arabext" || fa.Calendars[0] != "persian" {
		t.Errorf("fa-IR: %+v", fa)
	}
	if de := InfoOf("de-DE-u-hc-h11-ca-buddhist"); de.HourCycles[0] != "h11" || de.Calendars[0] != "buddhist" || de.Week.MinimalDays != 4 {
		t.Errorf("de-DE: %+v", de)
	}
}
