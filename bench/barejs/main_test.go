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
			if r.Calls < 1 || r.Minms > r.P50ms || r.P50ms <= 0 && r.Meanms < 0 {
				t.Errorf("implausible figures: %+v", r)
			}
		})
	}
}
