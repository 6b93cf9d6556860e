// Package clustertest gives tests the machine's PostgreSQL: its DSN,
// and a name of their own for what they make in it.
package clustertest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DSN returns the test database's connection string (SCRIPTFORGE_TEST_PG,
// default the local server's database test). When the server cannot be
// reached the test is skipped, or fails under CI=true, where a missing
// service is a broken setup and not a reason to pass.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := cmp.Or(os.Getenv("SCRIPTFORGE_TEST_PG"), "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err == nil {
		err = conn.Ping(ctx)
		conn.Close(context.Background())
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL at %s is required under CI=true: %v", dsn, err)
		}
		t.Skipf("PostgreSQL unreachable (%v): skipped; set CI=true to make this a failure", err)
	}
	return dsn
}

// Prefix returns a name no other test uses, from the test's name and a
// random suffix: lower-case letters, digits and _, as cluster prefixes
// and schema names want.
func Prefix(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return '_'
	}, t.Name())
	if len(name) > 20 {
		name = name[:20]
	}
	return "t_" + name + "_" + hex.EncodeToString(b[:])
}
