package schedule

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func mustParse(t *testing.T, sp Spec) *Schedule {
	t.Helper()
	s, err := Parse(sp)
	if err != nil {
		t.Fatalf("Parse(%+v): %v", sp, err)
	}
	return s
}

func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestParseRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		field string
		msg   string
	}{
		{"empty", Spec{}, "cron", "needs cron or at least one"},
		{"only a zone", Spec{TZ: "Europe/Paris"}, "cron", "needs cron"},
		{"both forms", Spec{Cron: "* * * * *", Minutes: []int{0}}, "cron", "not both"},
		{"seconds field", Spec{Cron: "0 */5 * * * *"}, "cron", "seconds are not supported"},
		{"four fields", Spec{Cron: "* * * *"}, "cron", "five fields"},
		{"every", Spec{Cron: "@every 5m"}, "cron", "@every is not supported"},
		{"unknown descriptor", Spec{Cron: "@fortnightly"}, "cron", "unknown descriptor"},
		{"zone inside", Spec{Cron: "TZ=Europe/Paris 0 * * * *"}, "cron", "in tz"},
		{"zone inside, no space", Spec{Cron: "CRON_TZ=x"}, "cron", "in tz"},
		{"minute out of range", Spec{Cron: "60 * * * *"}, "cron", "above maximum"},
		{"garbage", Spec{Cron: "a b c d e"}, "cron", "failed to parse"},
		{"never", Spec{Cron: "0 0 30 2 *"}, "cron", "never fires"},
		{"too long", Spec{Cron: strings.Repeat("1,", 200) + "1 * * * *"}, "cron", "longer than"},
		{"unknown zone", Spec{Cron: "* * * * *", TZ: "Mars/Olympus"}, "tz", `unknown time zone "Mars/Olympus"`},
		{"local zone", Spec{Cron: "* * * * *", TZ: "Local"}, "tz", "not Local"},
		{"bad overlap", Spec{Cron: "* * * * *", Overlap: "queue"}, "overlap", "skip or allow"},
		{"minute 60", Spec{Minutes: []int{0, 60}}, "minutes", "between 0 and 59, not 60"},
		{"hour -1", Spec{Hours: []int{-1}}, "hours", "between 0 and 23"},
		{"day 0", Spec{DaysOfMonth: []int{0}}, "days_of_month", "between 1 and 31"},
		{"weekday 7", Spec{DaysOfWeek: []int{7}}, "days_of_week", "between 0 and 6"},
		{"never by fields", Spec{DaysOfMonth: []int{31}, Hours: []int{1}}, "", ""}, // 31st exists: accepted
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.spec)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				return
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if se.Field != tc.field || !strings.Contains(se.Message, tc.msg) {
				t.Fatalf("err = %q on %q, want %q on %q", se.Message, se.Field, tc.msg, tc.field)
			}
		})
	}
}

func TestParseNormalises(t *testing.T) {
	s := mustParse(t, Spec{Minutes: []int{30, 0, 30}, Hours: []int{9}})
	got := s.Spec()
	if got.TZ != "UTC" || got.Overlap != OverlapSkip || len(got.Minutes) != 2 || got.Minutes[0] != 0 || got.Minutes[1] != 30 {
		t.Fatalf("Spec() = %+v", got)
	}
	if s.String() != `{"minutes":[0,30],"hours":[9],"tz":"UTC","overlap":"skip"}` {
		t.Fatalf("String() = %s", s)
	}
	if c := mustParse(t, Spec{Cron: "  @daily "}).Spec().Cron; c != "@daily" {
		t.Fatalf("cron kept as %q", c)
	}
}

// TestStarBit pins where robfig/cron marks a '*' field: the day rule
// depends on it.
func TestStarBit(t *testing.T) {
	p, err := parser.Parse("0 0 * * 1")
	if err != nil {
		t.Fatal(err)
	}
	sp := p.(*cron.SpecSchedule)
	if sp.Dom&starBit == 0 || sp.Dow&starBit != 0 {
		t.Fatalf("Dom %x Dow %x: robfig/cron moved its star bit", sp.Dom, sp.Dow)
	}
}

func TestNextN(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  Spec
		after string
		want  []string
	}{
		{"every five minutes", Spec{Cron: "*/5 * * * *"}, "2026-12-06T10:02:30Z",
			[]string{"2026-12-06T10:05:00Z", "2026-12-06T10:10:00Z", "2026-12-06T10:15:00Z"}},
		{"strictly after", Spec{Cron: "*/5 * * * *"}, "2026-12-06T10:05:00Z",
			[]string{"2026-12-06T10:10:00Z"}},
		{"hourly", Spec{Cron: "@hourly"}, "2026-12-06T23:59:00Z",
			[]string{"2026-12-07T00:00:00Z", "2026-12-07T01:00:00Z"}},
		{"weekly is Sunday midnight", Spec{Cron: "@weekly", TZ: "Europe/Paris"}, "2026-12-02T00:00:00Z",
			[]string{"2026-12-06T00:00:00+01:00", "2026-12-13T00:00:00+01:00"}},
		{"monthly", Spec{Cron: "@monthly"}, "2026-12-06T00:00:00Z",
			[]string{"2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z"}},
		{"yearly", Spec{Cron: "@yearly", TZ: "America/New_York"}, "2026-12-06T00:00:00Z",
			[]string{"2027-01-01T00:00:00-05:00"}},
		{"working days at 9 and 9:30", Spec{Minutes: []int{0, 30}, Hours: []int{9}, DaysOfWeek: []int{1, 2, 3, 4, 5}},
			"2026-12-04T10:00:00Z", // a Friday
			[]string{"2026-12-07T09:00:00Z", "2026-12-07T09:30:00Z", "2026-12-08T09:00:00Z"}},
		{"fields in a zone", Spec{Minutes: []int{0}, Hours: []int{9}, TZ: "Asia/Tokyo"}, "2026-12-06T00:00:00Z",
			[]string{"2026-12-07T09:00:00+09:00"}},
		{"day of month or day of week", Spec{Cron: "0 12 1 * 1"}, "2026-11-28T00:00:00Z",
			[]string{"2026-11-30T12:00:00Z", "2026-12-01T12:00:00Z", "2026-12-07T12:00:00Z"}},
		{"leap day", Spec{Cron: "0 0 29 2 *"}, "2026-12-06T00:00:00Z",
			[]string{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"}},
		{"leap day across 2100", Spec{Cron: "0 0 29 2 *"}, "2096-03-01T00:00:00Z",
			[]string{"2104-02-29T00:00:00Z"}},
		{"every minute only on days 31", Spec{DaysOfMonth: []int{31}, Hours: []int{23}, Minutes: []int{59}}, "2026-11-01T00:00:00Z",
			[]string{"2026-12-31T23:59:00Z", "2027-01-31T23:59:00Z", "2027-03-31T23:59:00Z"}},

		// Daylight saving, Europe/Paris: 2026-03-29 02:00 CET jumps to
		// 03:00 CEST; 2026-10-25 03:00 CEST falls back to 02:00 CET.
		{"Paris: skipped slot fires at the end of the gap", Spec{Cron: "30 2 * * *", TZ: "Europe/Paris"}, "2026-03-28T12:00:00Z",
			[]string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
		{"Paris: gap slots fire once, with the slot at its end", Spec{Cron: "*/15 * * * *", TZ: "Europe/Paris"}, "2026-03-29T01:50:00+01:00",
			[]string{"2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00"}},
		{"Paris: gap slot with an hourly field list", Spec{Minutes: []int{15}, Hours: []int{1, 2, 3}, TZ: "Europe/Paris"}, "2026-03-29T00:00:00+01:00",
			[]string{"2026-03-29T01:15:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-29T03:15:00+02:00", "2026-03-30T01:15:00+02:00"}},
		{"Paris: repeated slot fires at its first occurrence", Spec{Cron: "30 2 * * *", TZ: "Europe/Paris"}, "2026-10-24T12:00:00Z",
			[]string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		{"Paris: the repeated hour runs once", Spec{Cron: "*/30 * * * *", TZ: "Europe/Paris"}, "2026-10-25T01:50:00+02:00",
			[]string{"2026-10-25T02:00:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-25T03:00:00+01:00"}},
		{"Paris: from inside the second occurrence", Spec{Cron: "*/30 * * * *", TZ: "Europe/Paris"}, "2026-10-25T02:10:00+01:00",
			[]string{"2026-10-25T03:00:00+01:00"}},
		{"Paris: ordinary days around", Spec{Cron: "0 12 * * *", TZ: "Europe/Paris"}, "2026-03-28T00:00:00Z",
			[]string{"2026-03-28T12:00:00+01:00", "2026-03-29T12:00:00+02:00"}},

		// America/New_York: 2026-03-08 02:00 EST jumps to 03:00 EDT;
		// 2026-11-01 02:00 EDT falls back to 01:00 EST.
		{"New York: skipped slot", Spec{Cron: "30 2 * * *", TZ: "America/New_York"}, "2026-03-07T12:00:00-05:00",
			[]string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
		{"New York: repeated slot", Spec{Cron: "30 1 * * *", TZ: "America/New_York"}, "2026-10-31T12:00:00-04:00",
			[]string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"New York: hourly across fall back", Spec{Cron: "0 * * * *", TZ: "America/New_York"}, "2026-11-01T00:30:00-04:00",
			[]string{"2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00"}},
		{"New York: hourly across spring forward", Spec{Cron: "0 * * * *", TZ: "America/New_York"}, "2026-03-08T00:30:00-05:00",
			[]string{"2026-03-08T01:00:00-05:00", "2026-03-08T03:00:00-04:00", "2026-03-08T04:00:00-04:00"}},

		// Other shapes of transition: half an hour, and at midnight.
		{"Lord Howe: a half-hour gap", Spec{Cron: "15 2 * * *", TZ: "Australia/Lord_Howe"}, "2026-10-03T12:00:00Z",
			[]string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"}},
		{"Lord Howe: a repeated half hour", Spec{Cron: "30 1 * * *", TZ: "Australia/Lord_Howe"}, "2026-04-04T00:00:00Z",
			[]string{"2026-04-05T01:30:00+11:00", "2026-04-06T01:30:00+10:30"}},
		{"Santiago: midnight does not exist", Spec{Cron: "@daily", TZ: "America/Santiago"}, "2026-09-04T12:00:00Z",
			[]string{"2026-09-05T00:00:00-04:00", "2026-09-06T01:00:00-03:00", "2026-09-07T00:00:00-03:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.spec)
			got := s.NextN(at(t, tc.after), len(tc.want))
			if len(got) != len(tc.want) {
				t.Fatalf("NextN = %v, want %v", got, tc.want)
			}
			for i, w := range tc.want {
				// The offset too: fire times are shown in the zone.
				if g := got[i].Format(time.RFC3339); g != w {
					t.Fatalf("fire %d = %s, want %s (all: %v)", i, g, w, got)
				}
			}
		})
	}
}

// TestRobfigDST shows the behaviour this package corrects: robfig/cron's
// own Next drops the slot in the spring gap.
func TestRobfigDST(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	p, err := parser.Parse("30 2 * * *")
	if err != nil {
		t.Fatal(err)
	}
	sp := p.(*cron.SpecSchedule)
	sp.Location = paris
	if got := sp.Next(at(t, "2026-03-28T12:00:00Z")); got.Day() != 30 {
		t.Logf("robfig/cron now fires the gap slot on the 29th (%s): the correction is no longer needed", got)
	}
}

func TestDue(t *testing.T) {
	every5 := Spec{Cron: "*/5 * * * *"}
	for _, tc := range []struct {
		name      string
		spec      Spec
		last, now string
		fire      string // "" none
		skipped   int
		firstSkip string
		more      int
		truncated bool
	}{
		{"nothing due yet", every5, "2026-12-06T10:00:00Z", "2026-12-06T10:04:59Z", "", 0, "", 0, false},
		{"on time", every5, "2026-12-06T10:00:00Z", "2026-12-06T10:05:00Z", "2026-12-06T10:05:00Z", 0, "", 0, false},
		{"a little late", every5, "2026-12-06T10:00:00Z", "2026-12-06T10:06:10Z", "2026-12-06T10:05:00Z", 0, "", 0, false},
		{"down across three slots", every5, "2026-12-06T10:00:00Z", "2026-12-06T10:17:00Z", "2026-12-06T10:15:00Z", 2, "2026-12-06T10:05:00Z", 0, false},
		{"a day down, every minute", Spec{Cron: "* * * * *"}, "2026-12-05T10:00:00Z", "2026-12-06T10:00:00Z",
			"2026-12-06T10:00:00Z", MaxSkipped, "2026-12-05T10:01:00Z", 24*60 - 1 - MaxSkipped, false},
		{"across the Paris gap", Spec{Cron: "*/30 * * * *", TZ: "Europe/Paris"}, "2026-03-29T01:30:00+01:00", "2026-03-29T03:40:00+02:00",
			"2026-03-29T03:30:00+02:00", 1, "2026-03-29T03:00:00+02:00", 0, false},
		{"three years down, every minute", Spec{Cron: "* * * * *"}, "2023-12-06T10:00:00Z", "2026-12-06T10:00:30Z",
			"2026-12-06T10:00:00Z", MaxSkipped, "2023-12-06T10:01:00Z", maxCounted - MaxSkipped, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustParse(t, tc.spec)
			m := s.Due(at(t, tc.last), at(t, tc.now))
			switch {
			case tc.fire == "" && !m.Fire.IsZero():
				t.Fatalf("Fire = %s, want none", m.Fire)
			case tc.fire != "" && !m.Fire.Equal(at(t, tc.fire)):
				t.Fatalf("Fire = %s, want %s", m.Fire, tc.fire)
			case len(m.Skipped) != tc.skipped || m.More != tc.more || m.Truncated != tc.truncated:
				t.Fatalf("skipped %d, more %d, truncated %v; want %d, %d, %v", len(m.Skipped), m.More, m.Truncated, tc.skipped, tc.more, tc.truncated)
			case tc.firstSkip != "" && !m.Skipped[0].Equal(at(t, tc.firstSkip)):
				t.Fatalf("first skipped = %s, want %s", m.Skipped[0], tc.firstSkip)
			}
			for i := 1; i < len(m.Skipped); i++ {
				if !m.Skipped[i].After(m.Skipped[i-1]) {
					t.Fatalf("skipped out of order at %d: %v", i, m.Skipped[i-1:i+1])
				}
			}
		})
	}
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"*/5 * * * *", "@daily", "TZ=", "0 0 30 2 *", "1-5/2 0 L * *", "@every 1s"} {
		f.Add(s)
	}
	after := time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := Parse(Spec{Cron: expr, TZ: "Europe/Paris"})
		if err != nil {
			return
		}
		if next := s.Next(after); !next.After(after) {
			t.Fatalf("%q: Next = %s, not after %s", expr, next, after)
		}
	})
}
