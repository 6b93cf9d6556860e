package auth

import (
	"net"
	"net/http"
	"time"

	"code.dny.dev/ssrf"
)

// PublicClient returns an HTTP client that reaches only public addresses on
// ports 80 and 443. Tenants choose the URLs it fetches (their JWKS URL),
// so without the check a tenant could make the gateway call its own
// network: loopback, private ranges, link-local cloud metadata. The address
// is checked when each connection is dialled, after DNS resolution, so a
// name that resolves (or is rebound) to a private address fails too, and
// so does a redirect to one.
func PublicClient(timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: ssrf.New().Safe}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          10,
			IdleConnTimeout:       time.Minute,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}
