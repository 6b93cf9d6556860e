package functions

import (
	"testing"
	"time"
)

func TestParseRunStatus(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    RunStatus
		wantErr bool
	}{
		{"", RunStatus{}, false},
		{"ok", RunStatus{Outcome: "ok"}, false},
		{"error", RunStatus{Outcome: "error"}, false},
		{"cancelled", RunStatus{Outcome: "cancelled"}, false},
		{"2xx", RunStatus{Min: 200, Max: 299}, false},
		{"5XX", RunStatus{Min: 500, Max: 599}, false},
		{"404", RunStatus{Min: 404, Max: 404}, false},
		{"100", RunStatus{Min: 100, Max: 100}, false},
		{"6xx", RunStatus{}, true},
		{"600", RunStatus{}, true},
		{"099", RunStatus{}, true},
		{"+404", RunStatus{}, true},
		{"4x", RunStatus{}, true},
		{"OK", RunStatus{}, true},
		{"failed", RunStatus{}, true},
	} {
		got, err := ParseRunStatus(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseRunStatus(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestParseTrigger(t *testing.T) {
	for _, in := range []string{"http", "routing", "voice", "schedule", "async"} {
		if got, err := ParseTrigger(in); err != nil || string(got) != in {
			t.Errorf("ParseTrigger(%q) = %q, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "HTTP", "cron", "http "} {
		if _, err := ParseTrigger(in); err == nil {
			t.Errorf("ParseTrigger(%q) accepted", in)
		}
	}
}

func TestRunCursor(t *testing.T) {
	at := time.Date(2026, 12, 6, 6, 0, 0, 123_000_000, time.UTC)
	for _, id := range []string{"01a24a0e-0f71-72d2-8358-fe75f7a1e50c", "rid-12", "a:b:c"} {
		c := RunCursor{StartedAt: at, RequestID: id}
		got, err := ParseRunCursor(c.String())
		if err != nil || *got != c {
			t.Errorf("cursor %+v came back as %+v, %v", c, got, err)
		}
	}
	for _, bad := range []string{"", "nope", "!!!", RunCursor{StartedAt: at}.String(), "MjoxOmE" /* 2:1:a */, "MTp4OmE" /* 1:x:a */} {
		if _, err := ParseRunCursor(bad); err != ErrBadCursor {
			t.Errorf("ParseRunCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
}

func TestPageLimit(t *testing.T) {
	for in, want := range map[int]int{-1: DefaultRunsLimit, 0: DefaultRunsLimit, 1: 1, 1000: 1000, 5000: MaxRunsLimit} {
		if got := (RunQuery{Limit: in}).PageLimit(); got != want {
			t.Errorf("PageLimit(%d) = %d, want %d", in, got, want)
		}
	}
}
