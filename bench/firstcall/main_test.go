package main

import (
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions/engine"
)

// TestSource: each App is at least the asked size, differs from the
// others, and deploys (transpiles and compiles) as the gateway would.
func TestSource(t *testing.T) {
	for _, size := range []int{500, 10240, 30000} {
		a, b := source(1, size), source(2, size)
		if len(a) < size || len(a) > size+400 {
			t.Errorf("size %d: source is %d bytes", size, len(a))
		}
		if a == b {
			t.Errorf("size %d: two Apps are the same", size)
		}
		if !strings.Contains(a, "export function main(data)") {
			t.Errorf("size %d: no main", size)
		}
		if _, err := engine.Transpile("function.js", a); err != nil {
			t.Errorf("size %d: %v", size, err)
		}
	}
}

func TestRunRefusesBadArguments(t *testing.T) {
	for _, tt := range []struct {
		name, gateway string
		n, size       int
	}{
		{"not loopback", "http://10.0.0.1:8080", 1, 10240},
		{"https", "https://127.0.0.1:8080", 1, 10240},
		{"no functions", "http://127.0.0.1:8080", 0, 10240},
		{"too small", "http://127.0.0.1:8080", 1, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := run(tt.gateway, "k", "p", tt.n, tt.size); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
