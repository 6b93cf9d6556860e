package intl

import "testing"

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
		got := Resolve(c.requested)
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

func TestCanonicalize(t *testing.T) {
	for in, want := range map[string]string{
		"EN-us": "en-US", "de": "de", "zh-hant-tw": "zh-Hant-TW", "xx": "xx", "XX-yy": "xx-YY",
		"en-u-ca-gregory": "en-u-ca-gregory", "iw": "he", "": "", "en_US": "", "a": "", "en--US": "", "toolonglanguage": "",
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
