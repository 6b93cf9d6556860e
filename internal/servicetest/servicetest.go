// Package servicetest holds the one rule for tests that need a service
// of the machine (PostgreSQL, Redis): on a developer's machine a service
// that is down skips the test; under CI=true it fails it, so a CI run
// can never pass by skipping.
package servicetest

import (
	"os"
	"testing"
)

// Unavailable ends a test whose service did not answer: a skip, or under
// CI=true a failure.
func Unavailable(t testing.TB, service string, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is unreachable, and under CI=true that fails the test: %v", service, err)
	}
	t.Skipf("%s is unreachable, so this test is skipped (under CI=true it would fail): %v", service, err)
}
