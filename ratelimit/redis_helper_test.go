package ratelimit

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/scriptforge/scriptforge/internal/servicetest"
)

// testRedis is servicetest.Redis: the shared Redis and a prefix of the
// test's own.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	return servicetest.Redis(t)
}

// countKeys returns how many keys exist under prefix (Allow's included).
func countKeys(t testing.TB, rdb *redis.Client, prefix string) int {
	t.Helper()
	n := 0
	for _, pattern := range []string{prefix + "*", "rate:" + prefix + "*"} {
		keys, err := rdb.Keys(context.Background(), pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		n += len(keys)
	}
	return n
}
