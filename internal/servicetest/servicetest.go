// Package servicetest gives tests the services of the machine (Redis) and
// the one rule for them: a missing service skips a test, except under
// CI=true, where it fails it.
package servicetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Need skips t when err says its service is missing, and fails it under
// CI=true: CI must run every test.
func Need(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s: %v (CI=true: services must be up)", what, err)
	}
	t.Skipf("%s: %v", what, err)
}

// RedisAddr is the machine's shared Redis (REDIS_ADDR overrides it).
func RedisAddr() string {
	if a := os.Getenv("REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// Redis connects to the shared Redis and returns a key prefix of the
// test's own. Keys under it, and under "rate:"+it (go-redis/redis_rate's),
// are deleted when the test ends.
func Redis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: RedisAddr(), DialTimeout: time.Second})
	ctx := context.Background()
	if err := rdb.Ping(ctx).Err(); err != nil {
		rdb.Close()
		Need(t, "redis at "+RedisAddr(), err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "sftest:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		for _, pattern := range []string{prefix + "*", "rate:" + prefix + "*"} {
			if keys, _ := rdb.Keys(ctx, pattern).Result(); len(keys) > 0 {
				rdb.Del(ctx, keys...)
			}
		}
		rdb.Close()
	})
	return rdb, prefix
}

// RedisServer is a redis-server of the test's own on a free port, which
// the test may stop and start again (the machine's Redis stays up).
type RedisServer struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

// NewRedisServer starts a redis-server without persistence; it is stopped
// when the test ends.
func NewRedisServer(t testing.TB) *RedisServer {
	t.Helper()
	_, err := exec.LookPath("redis-server")
	Need(t, "redis-server binary", err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	s := &RedisServer{t: t, port: port}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// Addr is the server's host:port.
func (s *RedisServer) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// Start starts the server (again) and waits until it answers.
func (s *RedisServer) Start() {
	s.t.Helper()
	s.cmd = exec.Command("redis-server", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: s.Addr(), MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(5 * time.Second)
	for rdb.Ping(context.Background()).Err() != nil {
		if time.Now().After(deadline) {
			s.t.Fatal("redis-server did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Stop kills the server, as an outage would.
func (s *RedisServer) Stop() {
	if s.cmd != nil {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
		s.cmd = nil
	}
}
