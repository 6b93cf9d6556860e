package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedisAddr is the machine's shared Redis (REDIS_ADDR overrides it).
func testRedisAddr() string {
	if a := os.Getenv("REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// needService skips a test whose service is missing, except under CI=true,
// where a missing service is a failure: CI must run every test.
func needService(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v (CI=true: services must be up)", what, err)
	}
	t.Skipf("%s: %v", what, err)
}

// testRedis connects to the shared Redis and returns a key prefix of the
// test's own; the test's keys are deleted when it ends.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: testRedisAddr(), DialTimeout: time.Second})
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		needService(t, "redis at "+testRedisAddr(), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "sftest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		for _, pattern := range []string{prefix + "*", "rate:" + prefix + "*"} {
			keys, _ := rdb.Keys(ctx, pattern).Result()
			if len(keys) > 0 {
				rdb.Del(ctx, keys...)
			}
		}
		rdb.Close()
	})
	return rdb, prefix
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
