package ratelimit

import (
	"maps"
	"net/http"
	"testing"
	"time"
)

func headersOf(d Decision) map[string]string {
	h := map[string]string{}
	d.WriteHeaders(func(name, value string) { h[name] = value })
	return h
}

func TestWriteHeaders(t *testing.T) {
	tests := []struct {
		name string
		d    Decision
		want map[string]string
	}{
		{
			name: "allowed",
			d: Decision{Allowed: true, Policy: Policy{Name: "ip", Rate: 10, Burst: 20},
				Remaining: 19, Reset: 100 * time.Millisecond},
			want: map[string]string{
				"RateLimit-Policy": `"ip";q=20;w=2`,
				"RateLimit":        `"ip";r=19;t=1`,
			},
		},
		{
			name: "allowed full bucket",
			d:    Decision{Allowed: true, Policy: Policy{Name: "fn", Rate: 1, Burst: 60}, Remaining: 60},
			want: map[string]string{
				"RateLimit-Policy": `"fn";q=60;w=60`,
				"RateLimit":        `"fn";r=60;t=0`,
			},
		},
		{
			name: "denied rounds up",
			d: Decision{Policy: Policy{Name: "tenant", Rate: 0.5, Burst: 3},
				Reset: 1500 * time.Millisecond, RetryAfter: 1500 * time.Millisecond},
			want: map[string]string{
				"RateLimit-Policy": `"tenant";q=3;w=6`,
				"RateLimit":        `"tenant";r=0;t=2`,
				"Retry-After":      "2",
			},
		},
		{
			name: "denied whole seconds stay",
			d: Decision{Policy: Policy{Name: "t", Rate: 1, Burst: 1},
				Reset: 2 * time.Second, RetryAfter: 2 * time.Second},
			want: map[string]string{
				"RateLimit-Policy": `"t";q=1;w=1`,
				"RateLimit":        `"t";r=0;t=2`,
				"Retry-After":      "2",
			},
		},
		{
			name: "denied sub-second is at least 1",
			d: Decision{Policy: Policy{Name: "fast", Rate: 1000, Burst: 10},
				Reset: time.Millisecond, RetryAfter: time.Millisecond},
			want: map[string]string{
				"RateLimit-Policy": `"fast";q=10;w=1`,
				"RateLimit":        `"fast";r=0;t=1`,
				"Retry-After":      "1",
			},
		},
		{
			name: "denied without RetryAfter still says 1",
			d:    Decision{Policy: Policy{Name: "x", Rate: 3, Burst: 10}},
			want: map[string]string{
				"RateLimit-Policy": `"x";q=10;w=4`,
				"RateLimit":        `"x";r=0;t=0`,
				"Retry-After":      "1",
			},
		},
		{
			name: "name escaped",
			d:    Decision{Allowed: true, Policy: Policy{Name: "a\"b\\c\né", Rate: 1, Burst: 1}},
			want: map[string]string{
				"RateLimit-Policy": `"a\"b\\c??";q=1;w=1`,
				"RateLimit":        `"a\"b\\c??";r=0;t=0`,
			},
		},
		{
			name: "huge window clamped",
			d:    Decision{Allowed: true, Policy: Policy{Name: "slow", Rate: 1e-300, Burst: 1}},
			want: map[string]string{
				"RateLimit-Policy": `"slow";q=1;w=999999999999999`,
				"RateLimit":        `"slow";r=0;t=0`,
			},
		},
		{
			name: "unlimited writes nothing",
			d:    Decision{Allowed: true, Policy: Policy{Name: "free"}, Remaining: -1},
			want: map[string]string{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := headersOf(tt.d); !maps.Equal(got, tt.want) {
				t.Fatalf("headers\n got %q\nwant %q", got, tt.want)
			}
			// The append forms write the same values (into a buffer too small, too).
			if want, ok := tt.want[HeaderPolicy]; ok {
				if got := string(tt.d.AppendPolicy(make([]byte, 0, 4))); got != want {
					t.Errorf("AppendPolicy %q, want %q", got, want)
				}
				if got := string(tt.d.AppendRateLimit([]byte{})); got != tt.want[HeaderRateLimit] {
					t.Errorf("AppendRateLimit %q, want %q", got, tt.want[HeaderRateLimit])
				}
			}
		})
	}
}

func TestWriteHeadersHTTPHeader(t *testing.T) {
	h := http.Header{}
	d := Decision{Policy: Policy{Name: "ip", Rate: 2, Burst: 4}, Reset: 250 * time.Millisecond, RetryAfter: 250 * time.Millisecond}
	d.WriteHeaders(h.Set)
	if got := h.Get("Retry-After"); got != "1" {
		t.Fatalf("Retry-After = %q", got)
	}
	if got := h.Get("Ratelimit"); got != `"ip";r=0;t=1` {
		t.Fatalf("RateLimit = %q", got)
	}
}

// TestHeadersFromLocal checks the numbers a real bucket produces.
func TestHeadersFromLocal(t *testing.T) {
	l, clk := newTestLocal(t, 10)
	p := Policy{Name: "ip", Rate: 2, Burst: 4}
	var d Decision
	for range 4 {
		d = mustAllow(t, l, "k", p)
	}
	// Empty after four: the next token is 0.5s away.
	want := map[string]string{"RateLimit-Policy": `"ip";q=4;w=2`, "RateLimit": `"ip";r=0;t=1`}
	if got := headersOf(d); !maps.Equal(got, want) {
		t.Fatalf("last allowed: got %q want %q", got, want)
	}
	clk.Advance(100 * time.Millisecond)
	d = mustAllow(t, l, "k", p)
	want["Retry-After"] = "1"
	if got := headersOf(d); d.Allowed || !maps.Equal(got, want) {
		t.Fatalf("denied: %+v got %q want %q", d, got, want)
	}
	// After 1.6s: 3.2 tokens, one taken leaves 2; full again in 0.9s.
	clk.Advance(1500 * time.Millisecond)
	d = mustAllow(t, l, "k", p)
	want = map[string]string{"RateLimit-Policy": `"ip";q=4;w=2`, "RateLimit": `"ip";r=2;t=1`}
	if got := headersOf(d); !maps.Equal(got, want) {
		t.Fatalf("refilled: %+v got %q want %q", d, got, want)
	}
}
