package main

import (
	"strings"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	tests := []struct {
		name, src, body string
		want, wantErr   string
	}{
		{"echo", "function main(d) { return {ok: true, n: d.n} }", `{"n":42}`, `{"n":42,"ok":true}`, ""},
		{"state persists: one runtime", "var c = 0; function main() { return ++c > 1 }", `{}`, `true`, ""},
		{"no main", "var x = 1", `{}`, "", "no function main"},
		{"throws", "function main() { throw new Error('boom') }", `{}`, "", "boom"},
		{"bad body", "function main(d) { return d }", `{`, "", "--body"},
		{"syntax error", "function main( {", `{}`, "", "main.js"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := run(tt.src, tt.body, 0, 20*time.Millisecond)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Result != tt.want {
				t.Errorf("result = %s, want %s", r.Result, tt.want)
			}
			if r.Calls < 1 || r.Minms > r.P50ms || r.Meanms < 0 || r.CPUms < 0 {
				t.Errorf("implausible figures: %+v", r)
			}
		})
	}
}

// TestRunCPU: a loop that burns CPU shows it in cpu_ms, about as much as
// its wall time (one goroutine; allow for a busy machine and the GC).
func TestRunCPU(t *testing.T) {
	r, err := run("function main() { let x = 0; for (let i = 0; i < 3e5; i++) x += i % 7; return x }", `{}`, 0, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if r.CPUms <= 0 || r.CPUms > 4*r.Meanms+1 {
		t.Fatalf("cpu_ms %.3f against mean_ms %.3f", r.CPUms, r.Meanms)
	}
}
