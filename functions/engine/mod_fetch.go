package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
	"github.com/dop251/goja"
)

// fetch and the http module (js/fetch.js). Requests run on Go goroutines
// (startAsync) with the run's context, so they end with the run. What a
// function may reach is decided here, at dial time, on the resolved
// address: DNS answers, rebinding and redirects cannot lead to loopback,
// private, link-local (cloud metadata), CGNAT or multicast addresses,
// unless the operator allowed that network (FetchConfig.AllowPrivate).
func init() {
	registerGlobal("fetch", true, func(r *run) goja.Value { return r.libExport("fetch", "fetch") })
	libGlobal("Request", "fetch", false)
	registerModule("http", func(r *run) goja.Value { return r.libExport("fetch", "http") })
	libHosts["fetch"] = func(r *run, host *goja.Object) {
		_ = host.Set("fetch", r.fetch)
		_ = host.Set("abort", func(c goja.FunctionCall) goja.Value {
			if cancel := r.fetches[c.Argument(0).ToInteger()]; cancel != nil {
				cancel()
			}
			return goja.Undefined()
		})
	}
}

// fetchRequest is what js/fetch.js asks for, checked again here.
type fetchRequest struct {
	url      *url.URL
	method   string
	header   http.Header
	body     []byte
	redirect string
	timeout  time.Duration
}

// fetch(request, callback) starts a request and returns its id (for
// abort). callback(error, response) is called on the run's goroutine:
// error is {code, message}; response is {status, statusText, headers,
// body, url, redirected}.
func (r *run) fetch(c goja.FunctionCall) goja.Value {
	req := r.fetchRequest(c.Argument(0).ToObject(r.vm))
	callback, ok := goja.AssertFunction(c.Argument(1))
	if !ok {
		panic(r.newError("TypeError", "fetch: no callback"))
	}
	var ctx context.Context
	var cancel context.CancelFunc
	if req.timeout > 0 {
		ctx, cancel = context.WithTimeout(r.runCtx, req.timeout)
	} else {
		ctx, cancel = context.WithCancel(r.runCtx)
	}
	if r.fetches == nil {
		r.fetches = map[int64]context.CancelFunc{}
	}
	r.fetchID++
	id := r.fetchID
	r.fetches[id] = cancel
	client := r.e.fetchClient(req.redirect)
	budget := int64(r.budget())
	traced := r.traceFetch(req)
	r.startAsync(func(context.Context) func() error {
		res, err := r.e.doFetch(ctx, client, req, &r.fetchBytes, budget)
		r.e.countFetch(err)
		return func() error {
			cancel()
			delete(r.fetches, id)
			if err != nil {
				traced.end(r, 0, err.code)
				e := r.vm.NewObject()
				_ = e.Set("code", err.code)
				_ = e.Set("message", err.message)
				_, jsErr := callback(goja.Undefined(), e)
				return jsErr
			}
			traced.end(r, res.status, "")
			_, jsErr := callback(goja.Undefined(), goja.Null(), r.fetchResponse(res))
			return jsErr
		}
	})
	return r.vm.ToValue(id)
}

func (r *run) fetchRequest(o *goja.Object) *fetchRequest {
	fail := func(msg string) { panic(r.newError("TypeError", "fetch: "+msg)) }
	raw := o.Get("url").String()
	w := parseWHATWG(raw, nil)
	if w == nil {
		fail(fmt.Sprintf("%q is not a valid URL", raw))
	}
	if w.Scheme() != "http" && w.Scheme() != "https" {
		fail(fmt.Sprintf("%q is not an http or https URL", raw))
	}
	// net/http takes a net/url URL: made from the standard's serialization
	// (ASCII host, percent-encoded parts, no fragment), and refused if
	// net/url reads another host from it than the standard's parser did.
	u, err := url.Parse(w.Href(true))
	if err != nil || u.Hostname() != strings.TrimSuffix(strings.TrimPrefix(w.Hostname(), "["), "]") || u.Port() != w.Port() {
		fail(fmt.Sprintf("%q cannot be fetched", raw))
	}
	req := &fetchRequest{url: u, method: o.Get("method").String(), header: http.Header{}, redirect: o.Get("redirect").String()}
	pairs := o.Get("headers").Export()
	list, _ := pairs.([]any)
	for _, p := range list {
		kv, _ := p.([]any)
		if len(kv) == 2 {
			req.header.Add(fmt.Sprint(kv[0]), fmt.Sprint(kv[1]))
		}
	}
	switch b := o.Get("body").Export().(type) {
	case string:
		req.body = []byte(b)
	case goja.ArrayBuffer:
		req.body = bytes.Clone(b.Bytes())
	}
	if ms := o.Get("timeout").ToFloat(); ms > 0 {
		req.timeout = time.Duration(ms * float64(time.Millisecond))
	}
	return req
}

func (r *run) fetchResponse(res *fetchResult) goja.Value {
	vm := r.vm
	o := vm.NewObject()
	_ = o.Set("status", res.status)
	_ = o.Set("statusText", res.statusText)
	headers := make([]any, 0, len(res.header))
	for k, vs := range res.header {
		for _, v := range vs {
			headers = append(headers, vm.NewArray(strings.ToLower(k), v))
		}
	}
	_ = o.Set("headers", vm.NewArray(headers...))
	_ = o.Set("body", vm.NewArrayBuffer(res.body))
	_ = o.Set("url", res.url)
	_ = o.Set("redirected", res.redirected)
	return o
}

type fetchResult struct {
	status     int
	statusText string
	header     http.Header
	body       []byte
	url        string
	redirected bool
}

// FetchOutcomes names how fetches end, as /metrics labels them: ok (an
// answer came, whatever its status), then the fetchError codes.
var FetchOutcomes = [numFetchOutcomes]string{"ok", "blocked", "timeout", "too_large", "network", "redirect", "aborted"}

const numFetchOutcomes = 7

func (e *Engine) countFetch(err *fetchError) {
	i := 0
	if err != nil {
		i = slices.Index(FetchOutcomes[:], err.code)
		if i < 0 {
			i = slices.Index(FetchOutcomes[:], "network")
		}
	}
	e.fetches[i].Add(1)
}

// fetchError is a failed fetch as the function sees it.
type fetchError struct {
	code    string // blocked, timeout, aborted, redirect, too_large, network
	message string
}

// doFetch makes the request and reads the whole response, within the
// response cap and the run's memory budget (counted over all its fetches).
func (e *Engine) doFetch(ctx context.Context, client *http.Client, req *fetchRequest, used *atomic.Int64, budget int64) (*fetchResult, *fetchError) {
	target := req.url.Redacted()
	hreq, err := http.NewRequestWithContext(ctx, req.method, req.url.String(), bytes.NewReader(req.body))
	if err != nil {
		return nil, &fetchError{"network", fmt.Sprintf("fetch %s: %v", target, err)}
	}
	if req.body == nil {
		hreq.Body, hreq.ContentLength = http.NoBody, 0
	}
	hreq.Header = req.header
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", "ScriptForge-fetch/1")
	}
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "*/*") // as browsers' and Node's fetch send
	}
	if h := req.header.Get("Host"); h != "" {
		hreq.Host = h
	}
	resp, err := client.Do(hreq)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err() // net/http may give the context's cause instead
		}
		return nil, fetchFailure(target, req.timeout, err)
	}
	defer resp.Body.Close()
	limit := e.cfg.Fetch.MaxResponseBytes
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fetchFailure(target, req.timeout, err)
	}
	if int64(len(body)) > limit {
		return nil, &fetchError{"too_large", fmt.Sprintf("fetch %s: the response body is over the limit of %d bytes", target, limit)}
	}
	if used.Add(int64(len(body))) > budget {
		return nil, &fetchError{"too_large", fmt.Sprintf("fetch %s: the responses of this run are over its memory limit of %d MB", target, budget>>20)}
	}
	text := strings.TrimSpace(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)))
	final := resp.Request.URL
	return &fetchResult{status: resp.StatusCode, statusText: text, header: resp.Header, body: body,
		url: final.String(), redirected: final.String() != req.url.String()}, nil
}

// fetchFailure says why a request failed, in words a function's author can act on.
func fetchFailure(target string, timeout time.Duration, err error) *fetchError {
	var blocked *blockedAddress
	var redirect *redirectRefused
	switch {
	case errors.As(err, &blocked):
		return &fetchError{"blocked", fmt.Sprintf("fetch %s: %s", target, blocked.Error())}
	case errors.As(err, &redirect):
		return &fetchError{"redirect", fmt.Sprintf("fetch %s: %s", target, redirect.reason)}
	case errors.Is(err, context.DeadlineExceeded):
		return &fetchError{"timeout", fmt.Sprintf("fetch %s: timed out after %d ms", target, timeout.Milliseconds())}
	case errors.Is(err, context.Canceled):
		return &fetchError{"aborted", fmt.Sprintf("fetch %s: aborted", target)}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err
	}
	return &fetchError{"network", fmt.Sprintf("fetch %s failed: %v", target, err)}
}

type redirectRefused struct{ reason string }

func (e *redirectRefused) Error() string { return e.reason }

// fetchClient is a client for one redirect mode over the engine's shared transport.
func (e *Engine) fetchClient(mode string) *http.Client {
	limit := e.cfg.Fetch.MaxRedirects
	return &http.Client{
		Transport: e.fetchTransport(),
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			switch {
			case mode == "manual":
				return http.ErrUseLastResponse
			case mode == "error":
				return &redirectRefused{fmt.Sprintf("redirected to %s, and redirect is \"error\"", req.URL.Redacted())}
			case len(via) > limit:
				return &redirectRefused{fmt.Sprintf("more than %d redirects", limit)}
			}
			return nil
		},
	}
}

// fetchTransport is built once per engine: connections are reused across runs.
func (e *Engine) fetchTransport() *http.Transport {
	e.fetchOnce.Do(func() {
		dial := e.cfg.Fetch.Dial
		if dial == nil {
			dial = (&net.Dialer{Timeout: 10 * time.Second, Control: newAddressGuard(e.cfg.Fetch.AllowPrivate)}).DialContext
		}
		e.transport = &http.Transport{
			Proxy:                  nil, // never the host's proxy settings
			DialContext:            dial,
			ForceAttemptHTTP2:      true,
			TLSHandshakeTimeout:    10 * time.Second,
			MaxIdleConns:           100,
			MaxIdleConnsPerHost:    8,
			IdleConnTimeout:        90 * time.Second,
			MaxResponseHeaderBytes: 256 << 10,
		}
	})
	return e.transport
}

// blockedAddress is a dial refused by the address guard.
type blockedAddress struct {
	addr netip.Addr
	kind string
}

func (b *blockedAddress) Error() string {
	return fmt.Sprintf("connecting to %s is not allowed: it is %s; functions may reach public addresses only", b.addr, b.kind)
}

// newAddressGuard returns a dialer Control that refuses every address but
// public unicast ones and the allowed private networks, on any port.
func newAddressGuard(allow []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	var v4, v6 []netip.Prefix
	for _, p := range allow {
		if p.Addr().Is4() {
			v4 = append(v4, p)
		} else {
			v6 = append(v6, p)
		}
	}
	g := ssrf.New(ssrf.WithAnyPort(), ssrf.WithAllowedV4Prefixes(v4...), ssrf.WithAllowedV6Prefixes(v6...))
	return func(network, address string, c syscall.RawConn) error {
		if err := g.Safe(network, address, c); err != nil {
			ap, perr := netip.ParseAddrPort(address)
			if perr != nil {
				return err
			}
			return &blockedAddress{addr: ap.Addr(), kind: addressKind(ap.Addr())}
		}
		return nil
	}
}

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	metadata = netip.MustParseAddr("169.254.169.254")
)

// addressKind names why an address is not public.
func addressKind(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a == metadata:
		return "the cloud metadata address"
	case a.IsLoopback():
		return "a loopback address"
	case a.IsPrivate():
		return "a private address"
	case a.IsLinkLocalUnicast():
		return "a link-local address"
	case cgnat.Contains(a):
		return "a shared (CGNAT) address"
	case a.IsMulticast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast():
		return "a multicast address"
	case a.IsUnspecified():
		return "an unspecified address"
	}
	return "a reserved address"
}

// AddressGuard is the dialer Control fetch uses, for the gateway's other
// requests to URLs tenants choose (async callbacks): public unicast
// addresses only, and the allowed private networks.
func AddressGuard(allow []netip.Prefix) func(network, address string, c syscall.RawConn) error {
	return newAddressGuard(allow)
}
