package auth

import (
	"encoding/json"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"7d", 7 * 24 * time.Hour, true},
		{"0d", 0, true},
		{"72h", 72 * time.Hour, true},
		{"1h30m", 90 * time.Minute, true},
		{"10m", 10 * time.Minute, true},
		{"0", 0, true},
		{"-1d", 0, false},
		{"1.5d", 0, false},
		{"d", 0, false},
		{"week", 0, false},
		{"", 0, false},
	} {
		got, err := ParseDuration(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestRunsRetentionJSON(t *testing.T) {
	r := RunsRetention{MaxCount: 10, MaxAge: Duration(48 * time.Hour)}
	b, err := json.Marshal(r)
	if err != nil || string(b) != `{"max_count":10,"max_age":"2d"}` {
		t.Fatalf("Marshal = %s, %v", b, err)
	}
	var back RunsRetention
	if err := json.Unmarshal([]byte(`{"max_count":10,"max_age":"36h"}`), &back); err != nil || time.Duration(back.MaxAge) != 36*time.Hour {
		t.Fatalf("Unmarshal = %+v, %v", back, err)
	}
	if b, _ := json.Marshal(RunsRetention{}); string(b) != `{}` {
		t.Errorf("zero retention = %s, want {}", b)
	}
	for _, bad := range []string{`{"max_age":3600}`, `{"max_age":"soon"}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("Unmarshal(%s) accepted", bad)
		}
	}
	for _, tc := range []struct {
		r  RunsRetention
		ok bool
	}{
		{RunsRetention{}, true},
		{RunsRetention{MaxCount: MaxRunsCount, MaxAge: Duration(MaxRunsAge)}, true},
		{RunsRetention{MaxCount: -1}, false},
		{RunsRetention{MaxCount: MaxRunsCount + 1}, false},
		{RunsRetention{MaxAge: Duration(-time.Second)}, false},
		{RunsRetention{MaxAge: Duration(MaxRunsAge + time.Hour)}, false},
	} {
		if err := tc.r.Validate(); (err == nil) != tc.ok {
			t.Errorf("Validate(%+v) = %v, want ok %v", tc.r, err, tc.ok)
		}
	}
}
