package gateway

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// requestInfo says what a header-by-header copy would: names in lower
// case (common or not, normalized by fasthttp or not), the last of a
// repeated header, no Authorization when asked, and copies that outlive
// fasthttp's buffers.
func TestRequestInfo(t *testing.T) {
	app := fiber.New()
	for _, tc := range []struct {
		name     string
		raw      bool // names as sent, not normalized
		headers  [][2]string
		dropAuth bool
		want     map[string]string
	}{
		{"common and custom names", false, [][2]string{{"accept", "a/b"}, {"X-CUSTOM-thing", "v"}, {"Authorization", "Bearer k"}}, false,
			map[string]string{"accept": "a/b", "x-custom-thing": "v", "authorization": "Bearer k"}},
		{"authorization dropped", false, [][2]string{{"Authorization", "Bearer k"}, {"X-A", "1"}}, true, map[string]string{"x-a": "1"}},
		{"names not normalized", true, [][2]string{{"X-MiXeD", "1"}, {"content-TYPE", "text/plain"}, {"AUTHORIZATION", "x"}}, true,
			map[string]string{"x-mixed": "1", "content-type": "text/plain"}},
		{"non-ASCII bytes in a name", true, [][2]string{{"X-\u00c9t\u00c9", "\u00e9"}}, false, map[string]string{strings.ToLower("X-\u00c9t\u00c9"): "\u00e9"}},
		{"a long value past the stack buffer", false, [][2]string{{"X-Long", strings.Repeat("v", 10<<10)}, {"X-After", "2"}}, false,
			map[string]string{"x-long": strings.Repeat("v", 10<<10), "x-after": "2"}},
		{"empty value", false, [][2]string{{"X-Empty", ""}}, false, map[string]string{"x-empty": ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fctx := &fasthttp.RequestCtx{}
			fctx.Request.Header.DisableNormalizing()
			if !tc.raw {
				fctx.Request.Header.EnableNormalizing()
			}
			fctx.Request.SetRequestURI("/v1/fn/x/y?a=1&b=%20")
			fctx.Request.Header.SetMethod(fasthttp.MethodPatch)
			for _, h := range tc.headers {
				fctx.Request.Header.Set(h[0], h[1])
			}
			c := app.AcquireCtx(fctx)
			q := url.Values{"a": {"1"}}
			ri := requestInfo(c, q, tc.dropAuth)
			want := map[string]string{"host": ""}
			fctx.Request.Header.VisitAll(func(k, _ []byte) {
				if strings.EqualFold(string(k), "host") {
					want["host"] = string(fctx.Request.Header.Host())
				}
			})
			if _, has := ri.Headers["host"]; !has {
				delete(want, "host")
			}
			for k, v := range tc.want {
				want[k] = v
			}
			if !reflect.DeepEqual(ri.Headers, want) {
				t.Fatalf("headers %q, want %q", ri.Headers, want)
			}
			if ri.Method != "PATCH" || ri.URL != "/v1/fn/x/y?a=1&b=%20" || ri.Path != "/v1/fn/x/y" || ri.IP != "0.0.0.0" || !reflect.DeepEqual(ri.Query, map[string][]string(q)) {
				t.Fatalf("request %+v", ri)
			}
			// The strings are the gateway's: scribbling over fasthttp's buffers changes nothing.
			app.ReleaseCtx(c)
			fctx.Request.Reset()
			fctx.Request.SetRequestURI("/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz")
			fctx.Request.Header.Set("X-Custom-Thing", "zzzzzzzzzzzzz")
			if !reflect.DeepEqual(ri.Headers, want) || ri.URL != "/v1/fn/x/y?a=1&b=%20" || ri.Method != "PATCH" {
				t.Fatalf("after reuse: %+v", ri)
			}
		})
	}
}
