package main

import "testing"

// TestClusterURL: gateways on one PostgreSQL database are one cluster
// unless --cluster-url names another; on SQLite there is none.
func TestClusterURL(t *testing.T) {
	for _, tc := range []struct {
		name, given, database, want string
	}{
		{"nothing set", "", "", ""},
		{"postgres store", "", "postgres://db/app", "postgres://db/app"},
		{"postgresql store", "", "postgresql://db/app", "postgresql://db/app"},
		{"another database", "", "sqlite:///data/app.db", ""},
		{"own URL first", "postgres://bus/x", "postgres://db/app", "postgres://bus/x"},
		{"own URL on SQLite", "postgres://bus/x", "", "postgres://bus/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := clusterURL(tc.given, tc.database); got != tc.want {
				t.Fatalf("clusterURL(%q, %q) = %q, want %q", tc.given, tc.database, got, tc.want)
			}
		})
	}
}
