package intl

import (
	"strings"
	"testing"
	"time"
)

// format compiles options for a locale (negotiated as the constructor
// does) and formats a UTC time in a zone.
func format(t *testing.T, locale string, o DateTimeOptions, at time.Time, zone string) (string, *DateTimeFormat) {
	t.Helper()
	res := Resolve([]string{locale}, Formatting)
	o.Locale, o.DataLocale, o.Numbering = res.Locale, res.Data, NumberingSystem(res.Data, res.Extension["nu"])
	f, err := NewDateTimeFormat(o)
	if err != nil {
		t.Fatalf("%s %+v: %v", locale, o, err)
	}
	goName, canonical, ok := LookupZone(zone)
	if !ok {
		t.Fatalf("zone %s", zone)
	}
	loc, err := time.LoadLocation(goName)
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.Format(float64(at.UnixMilli()), Zone{loc, canonical})
	if err != nil {
		t.Fatalf("%s %+v: %v", locale, o, err)
	}
	return s, f
}

var autumn = time.Date(2026, 11, 24, 19, 3, 11, 45e6, time.UTC)

func TestDateTimePatterns(t *testing.T) {
	for _, c := range []struct {
		locale  string
		o       DateTimeOptions
		pattern string
	}{
		{"en-US", DateTimeOptions{Year: "numeric", Month: "numeric", Day: "numeric"}, "M/d/y"},
		{"en-US", DateTimeOptions{Year: "numeric", Month: "2-digit", Day: "2-digit"}, "MM/dd/y"},
		{"en-US", DateTimeOptions{Year: "numeric", Month: "short", Day: "numeric"}, "MMM d, y"},
		{"en-US", DateTimeOptions{Weekday: "long", Year: "numeric", Month: "long", Day: "numeric", Hour: "numeric", Minute: "2-digit"}, "EEEE, MMMM d, y 'at' h:mm\u202fa"},
		{"en-US", DateTimeOptions{Month: "short", Day: "numeric", Hour: "numeric", Minute: "2-digit"}, "MMM d, h:mm\u202fa"},
		{"en-US", DateTimeOptions{Hour: "numeric", Minute: "2-digit", Second: "2-digit", FractionalSecondDigits: 2}, "h:mm:ss.SS\u202fa"},
		{"en-US", DateTimeOptions{Hour: "numeric", Hour12: "false"}, "kk"}, // V8: en's 12-hour clock counts from 1, so its 24-hour one to 24
		{"en-US", DateTimeOptions{Hour: "numeric", HourCycle: "h23"}, "HH"},
		{"en-US", DateTimeOptions{Hour: "numeric", DayPeriod: "long"}, "h BBBB"},
		{"en-US", DateTimeOptions{Minute: "2-digit"}, "m"}, // ICU leaves a minute alone as it is
		{"en-US", DateTimeOptions{TimeZoneName: "short", Year: "numeric", Month: "numeric", Day: "numeric"}, "M/d/y, z"},
		{"en-GB", DateTimeOptions{Hour: "numeric", Minute: "numeric", Hour12: "true"}, "K:mm\u202fa"}, // V8: en-GB counts 0–23, so 0–11 on hour12
		{"ja", DateTimeOptions{Hour: "numeric", Hour12: "true"}, "aK時"},
		{"de", DateTimeOptions{DateStyle: "full", TimeStyle: "short"}, "EEEE, d. MMMM y 'um' HH:mm"},
		{"de", DateTimeOptions{TimeStyle: "short", Hour12: "true"}, "KK:mm\u202fa"},
		{"fr-CA", DateTimeOptions{Hour: "numeric", Minute: "2-digit"}, "H' h 'mm"}, // the short time pattern's H, not Canada's h
		{"cs", DateTimeOptions{Year: "2-digit", Month: "2-digit", Day: "2-digit"}, "dd. MM. yy"},
		{"th-u-ca-gregory", DateTimeOptions{Hour: "numeric", Minute: "2-digit"}, "H:mm"},
		{"ru", DateTimeOptions{Month: "long"}, "LLLL"},
		{"ru", DateTimeOptions{Month: "long", Day: "numeric"}, "d MMMM"},
	} {
		_, f := format(t, c.locale, c.o, autumn, "UTC")
		if f.Pattern != c.pattern {
			t.Errorf("%s %+v: pattern %q, want %q", c.locale, c.o, f.Pattern, c.pattern)
		}
	}
}

func TestDateTimeFormat(t *testing.T) {
	summer := time.Date(2026, 7, 4, 9, 5, 7, 300e6, time.UTC)
	for _, c := range []struct {
		locale, zone string
		o            DateTimeOptions
		at           time.Time
		want         string
	}{
		{"en-US", "UTC", DateTimeOptions{DateStyle: "full", TimeStyle: "long"}, autumn, "Tuesday, November 24, 2026 at 7:03:11 PM UTC"},
		{"ar-EG", "UTC", DateTimeOptions{Year: "numeric", Month: "numeric", Day: "numeric"}, autumn, "٢٤\u200f/١١\u200f/٢٠٢٦"},
		{"ar-EG-u-nu-latn", "UTC", DateTimeOptions{Year: "numeric", Month: "numeric", Day: "numeric"}, autumn, "24\u200f/11\u200f/2026"},
		{"de", "UTC", DateTimeOptions{Hour: "numeric", Minute: "2-digit", Second: "2-digit", FractionalSecondDigits: 3}, autumn, "19:03:11,045"},
		{"en-US", "America/New_York", DateTimeOptions{Hour: "numeric", Minute: "numeric", TimeZoneName: "short"}, summer, "5:05 AM EDT"},
		{"en-US", "America/New_York", DateTimeOptions{Hour: "numeric", Minute: "numeric", TimeZoneName: "short"}, autumn, "2:03 PM EST"},
		{"en-US", "Asia/Kolkata", DateTimeOptions{TimeZoneName: "shortOffset", Hour: "numeric"}, summer, "2 PM GMT+5:30"},
		{"en-US", "America/St_Johns", DateTimeOptions{TimeZoneName: "longOffset", Hour: "numeric"}, summer, "6 AM GMT-02:30"},
		{"en-US", "Australia/Lord_Howe", DateTimeOptions{TimeZoneName: "long", Hour: "numeric"}, summer, "7 PM Lord Howe Standard Time"},
		{"en-US", "America/New_York", DateTimeOptions{TimeZoneName: "long", Year: "numeric"}, time.Date(1850, 1, 1, 0, 0, 0, 0, time.UTC), "1849, GMT-04:56:02"},
		{"de", "Europe/Berlin", DateTimeOptions{TimeZoneName: "short", Hour: "numeric"}, summer, "11 Uhr MESZ"},
		{"fr", "Etc/GMT+5", DateTimeOptions{TimeZoneName: "shortOffset", Hour: "numeric"}, summer, "04 h UTC−5"},
		{"en-US", "America/New_York", DateTimeOptions{TimeZoneName: "longGeneric", Hour: "numeric"}, summer, "5 AM Eastern Time"},
		{"en-US", "Europe/London", DateTimeOptions{TimeZoneName: "longGeneric", Hour: "numeric"}, summer, "10 AM United Kingdom Time"},
		{"en-US", "Australia/Sydney", DateTimeOptions{TimeZoneName: "shortGeneric", Hour: "numeric"}, summer, "7 PM Sydney Time"},
		{"en-US", "America/Phoenix", DateTimeOptions{TimeZoneName: "longGeneric", Hour: "numeric"}, summer, "2 AM Mountain Standard Time"},
		{"es-MX", "America/Chicago", DateTimeOptions{TimeZoneName: "longGeneric", Hour: "numeric"}, summer, "4 a.m. hora central (Estados Unidos)"},
		{"en-US", "UTC", DateTimeOptions{TimeZoneName: "shortGeneric", Hour: "numeric"}, summer, "9 AM GMT+0"},
		{"en-US", "UTC", DateTimeOptions{Hour: "numeric", DayPeriod: "long"}, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), "12 noon"},
		{"en-US", "UTC", DateTimeOptions{Hour: "numeric", DayPeriod: "long"}, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "12 in the morning"}, // never "midnight", as ICU
		{"en-US", "UTC", DateTimeOptions{Year: "numeric", Era: "short"}, time.Date(-50, 1, 1, 0, 0, 0, 0, time.UTC), "51 BC"},
		{"en-US", "UTC", DateTimeOptions{Hour: "numeric", HourCycle: "h11"}, time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC), "0 PM"},
		{"en-US", "UTC", DateTimeOptions{Hour: "2-digit", Minute: "2-digit", HourCycle: "h24"}, time.Date(2026, 1, 1, 0, 5, 0, 0, time.UTC), "24:05"},
	} {
		got, _ := format(t, c.locale, c.o, c.at, c.zone)
		if got != c.want {
			t.Errorf("%s %s %+v: %q, want %q", c.locale, c.zone, c.o, got, c.want)
		}
	}
}

func TestFormatRange(t *testing.T) {
	res := Resolve([]string{"en-US"}, Formatting)
	day, hour := 86400e3, 3600e3
	utc := Zone{time.UTC, "UTC"}
	for _, c := range []struct {
		o    DateTimeOptions
		x, y float64
		want string
	}{
		{DateTimeOptions{Year: "numeric", Month: "numeric", Day: "numeric"}, 0, 0, "1/1/1970"},
		{DateTimeOptions{Year: "numeric", Month: "numeric", Day: "numeric"}, 0, 3 * day, "1/1/1970\u2009–\u20091/4/1970"},
		{DateTimeOptions{DateStyle: "long"}, 0, 3 * day, "January 1\u2009–\u20094, 1970"},
		{DateTimeOptions{Hour: "numeric", Minute: "numeric"}, 0, hour, "12:00\u2009–\u20091:00\u202fAM"},
		{DateTimeOptions{Hour: "numeric"}, 0, 13 * hour, "12\u202fAM\u2009–\u20091\u202fPM"},
		{DateTimeOptions{DateStyle: "medium", TimeStyle: "short"}, 0, hour, "Jan 1, 1970, 12:00\u2009–\u20091:00\u202fAM"},
		{DateTimeOptions{Hour: "numeric", Minute: "numeric"}, 0, day + hour, "1/1/1970, 12:00\u202fAM\u2009–\u20091/2/1970, 1:00\u202fAM"},
	} {
		c.o.Locale, c.o.DataLocale, c.o.Numbering = res.Locale, res.Data, "latn"
		f, err := NewDateTimeFormat(c.o)
		if err != nil {
			t.Fatal(err)
		}
		parts, err := f.FormatRange(c.x, c.y, utc)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Value)
		}
		if b.String() != c.want {
			t.Errorf("%+v %v–%v: %q, want %q", c.o, c.x, c.y, b.String(), c.want)
		}
	}
}

func TestInvalidTimeValue(t *testing.T) {
	res := Resolve(nil, Formatting)
	f, err := NewDateTimeFormat(DateTimeOptions{Locale: res.Locale, DataLocale: res.Data, Numbering: "latn", Year: "numeric"})
	if err != nil {
		t.Fatal(err)
	}
	for _, ms := range []float64{MaxTime + 1, -MaxTime - 1, nan()} {
		if _, err := f.Format(ms, Zone{time.UTC, "UTC"}); err == nil || err.Error() != "Invalid time value" {
			t.Errorf("%v: error %v", ms, err)
		}
	}
	for ms, want := range map[float64]string{MaxTime: "275760", -MaxTime: "271822"} {
		if got, _ := f.Format(ms, Zone{time.UTC, "UTC"}); got != want {
			t.Errorf("%v: %q, want %q", ms, got, want)
		}
	}
}

func nan() float64 { var z float64; return z / z }

func TestLookupZone(t *testing.T) {
	for in, want := range map[string]string{
		"Asia/Kolkata": "Asia/Calcutta", "asia/calcutta": "Asia/Calcutta", "UTC": "UTC", "etc/gmt": "UTC", "Etc/Universal": "UTC",
		"US/Eastern": "America/New_York", "Europe/Kyiv": "Europe/Kiev", "America/Argentina/Buenos_Aires": "America/Buenos_Aires",
		"Etc/GMT+5": "Etc/GMT+5", "Europe/Amsterdam": "Europe/Amsterdam", "Local": "", "Mars/Olympus": "", "../etc/passwd": "",
		strings.Repeat("x", 1<<20): "",
	} {
		goName, got, ok := LookupZone(in)
		if got != want || ok != (want != "") {
			t.Errorf("LookupZone(%.20q) = %q, %v; want %q", in, got, ok, want)
		}
		if ok {
			if _, err := time.LoadLocation(goName); err != nil {
				t.Errorf("%s: Go's name %s does not load: %v", in, goName, err)
			}
		}
	}
}

func TestParsePattern(t *testing.T) {
	got := parseDatePattern("h 'o''clock' a, EEEE''")
	want := []token{{field: 'h', n: 1}, {lit: " o'clock "}, {field: 'a', n: 1}, {lit: ", "}, {field: 'E', n: 4}, {lit: "'"}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("token %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if q := quote("o'clock"); q != "'o''clock'" {
		t.Errorf("quote: %s", q)
	}
}

func TestDefaultCalendar(t *testing.T) {
	for tag, want := range map[string]string{"en-US": "gregory", "th": "buddhist", "fa": "persian", "ar-SA": "gregory", "ja": "gregory"} {
		if got := DefaultCalendar(tag); got != want {
			t.Errorf("DefaultCalendar(%s) = %s, want %s", tag, got, want)
		}
	}
}
