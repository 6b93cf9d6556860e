package queue

import (
	"testing"
	"time"
)

func TestBackoffDelay(t *testing.T) {
	b := Backoff{Base: time.Second, Max: 10 * time.Second}
	cases := []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 500 * time.Millisecond, time.Second},
		{2, time.Second, 2 * time.Second},
		{3, 2 * time.Second, 4 * time.Second},
		{5, 5 * time.Second, 10 * time.Second}, // 16s capped at Max
		{60, 5 * time.Second, 10 * time.Second},
	}
	for _, c := range cases {
		for range 50 {
			if d := b.Delay(c.attempt); d < c.min || d > c.max {
				t.Fatalf("Delay(%d) = %v, want in [%v, %v]", c.attempt, d, c.min, c.max)
			}
		}
	}
}
