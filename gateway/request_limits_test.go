package gateway_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/gateway"
)

// Request limits: every oversized or slow request ends in a clear answer
// (or a closed connection, for a client too slow to read one), and the
// gateway keeps serving.
func TestRequestLimits(t *testing.T) {
	s := startServerWith(t, t.TempDir(), "inprocess", 0, func(c *gateway.Config) {
		c.MaxHeaderBytes = 4 << 10
		c.MaxJSONDepth = 8
		c.ReadTimeout = 300 * time.Millisecond
	})
	_, uuid := s.deploy("echo", "script", `function main(d) { return d }`)
	path := "/v1/fn/" + uuid

	t.Run("headers too large", func(t *testing.T) {
		r := s.do("POST", path, `{}`, map[string]string{"X-Padding": strings.Repeat("p", 8<<10)})
		if r.status != http.StatusRequestHeaderFieldsTooLarge || r.errorCode(t) != "headers_too_large" {
			t.Fatalf("got %d %s", r.status, r.body)
		}
	})
	t.Run("JSON too deep", func(t *testing.T) {
		deep := strings.Repeat("[", 9) + strings.Repeat("]", 9)
		r := s.do("POST", path, deep, map[string]string{"Content-Type": "application/json"})
		if r.status != http.StatusBadRequest || r.errorCode(t) != "json_too_deep" || !strings.Contains(string(r.body), "deeper than 8") {
			t.Fatalf("got %d %s", r.status, r.body)
		}
		ok := strings.Repeat("[", 8) + strings.Repeat("]", 8)
		if r := s.do("POST", path, ok, map[string]string{"Content-Type": "application/json"}); r.status != http.StatusOK {
			t.Fatalf("8 levels: %d %s", r.status, r.body)
		}
	})
	t.Run("slow client", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(s.url, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Half a request, then nothing: the server must not wait for the rest.
		if _, err := conn.Write([]byte("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n")); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		status, _ := bufio.NewReader(conn).ReadString('\n') // a 408, or EOF when it just hangs up
		if took := time.Since(start); took > 2*time.Second {
			t.Fatalf("the connection stayed open %v", took)
		}
		if status != "" && !strings.Contains(status, "408") {
			t.Fatalf("answer to a slow client: %q", status)
		}
	})
	if r := s.do("POST", path, `{"still":"serving"}`, nil); r.status != http.StatusOK || string(r.body) != `{"still":"serving"}` {
		t.Fatalf("after the limits: %d %s", r.status, r.body)
	}
}
