package auth

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"code.dny.dev/ssrf"
)

func TestPublicClientRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("secret")) }))
	defer srv.Close()
	c := PublicClient(2 * time.Second)
	for _, url := range []string{
		srv.URL,                          // loopback, random port
		"http://127.0.0.1/",              // loopback, port 80
		"http://[::1]/",                  // IPv6 loopback
		"http://169.254.169.254/latest/", // cloud metadata
		"http://10.0.0.1/",               // private
		"http://100.64.0.1/",             // CGNAT
		"http://localhost/",              // a name that resolves to loopback
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
		resp, err := c.Do(req)
		cancel()
		if err == nil {
			resp.Body.Close()
			t.Errorf("%s: fetched (status %d)", url, resp.StatusCode)
			continue
		}
		if !errors.Is(err, ssrf.ErrProhibitedIP) && !errors.Is(err, ssrf.ErrProhibitedPort) && !strings.Contains(err.Error(), "prohibited") {
			t.Errorf("%s: failed for another reason: %v", url, err)
		}
	}
}
