package main

import "testing"

// TestClusterURLFromEnv: the cluster is on for SCRIPTFORGE_CLUSTER_URL,
// or for DATABASE_URL when it names PostgreSQL, and off otherwise.
func TestClusterURLFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name, cluster, database, want string
	}{
		{"nothing set", "", "", ""},
		{"postgres DATABASE_URL", "", "postgres://db/app", "postgres://db/app"},
		{"postgresql DATABASE_URL", "", "postgresql://db/app", "postgresql://db/app"},
		{"another database", "", "sqlite:///data/app.db", ""},
		{"own variable first", "postgres://bus/x", "postgres://db/app", "postgres://bus/x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SCRIPTFORGE_CLUSTER_URL", tc.cluster)
			t.Setenv("DATABASE_URL", tc.database)
			if got := clusterURLFromEnv(); got != tc.want {
				t.Fatalf("clusterURLFromEnv() = %q, want %q", got, tc.want)
			}
		})
	}
}
