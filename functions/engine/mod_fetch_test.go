package engine

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// fetchServer answers the requests of the fetch tests on loopback.
func fetchServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var canceled atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Add("X-Multi", "a")
		w.Header().Add("X-Multi", "b")
		fmt.Fprintf(w, `{"method":%q,"ua":%q,"auth":%q}`, r.Method, r.UserAgent(), r.Header.Get("Authorization"))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", r.Header.Get("Content-Type"))
		w.WriteHeader(201)
		w.Write(b)
	})
	mux.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		var code int
		fmt.Sscanf(strings.TrimPrefix(r.URL.Path, "/status/"), "%d", &code)
		w.WriteHeader(code)
		fmt.Fprint(w, `{"error":"nope"}`)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) { w.Write(make([]byte, 64<<10)) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			canceled.Add(1)
		case <-time.After(5 * time.Second):
		}
	})
	mux.HandleFunc("/utf8", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "héllo ✓") })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, &canceled
}

// loopbackEngine may reach 127.0.0.1 only, as an operator's allowlist would let it.
func loopbackEngine(cfg Config) *Engine {
	cfg.Fetch.AllowPrivate = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	return New(cfg)
}

func TestFetch(t *testing.T) {
	srv, _ := fetchServer(t)
	u := srv.URL
	runModuleCases(t, loopbackEngine(Config{}), functions.TypeApp, []moduleCase{
		{"get json", `const r = await fetch("` + u + `/json"); return [r.status, r.ok, r.statusText, r.headers.get("content-type"), r.headers.get("x-multi"), await r.json()]`,
			`[200,true,"OK","application/json","a, b",{"method":"GET","ua":"ScriptForge-fetch/1","auth":""}]`, false},
		{"post text with headers", `const r = await fetch(new URL("/echo", "` + u + `"), {method: "post", body: JSON.stringify({a: 1}), headers: {"content-type": "application/json"}});
			return [r.status, r.headers.get("content-type"), await r.text()]`, `[201,"application/json","{\"a\":1}"]`, false},
		{"post bytes", `const r = await fetch("` + u + `/echo", {method: "PUT", body: new Uint8Array([104, 105])}); return [...new Uint8Array(await r.arrayBuffer())]`, `[104,105]`, false},
		{"Request", `const req = new Request("` + u + `/echo", {method: "POST", body: "hi", headers: {"x-a": "1"}}); const r = await fetch(req);
			const again = new Request(req, {method: "PUT"}); return [await r.text(), req.method, again.method, await again.text(), req.headers.get("content-type")]`,
			`["hi","POST","PUT","hi","text/plain;charset=UTF-8"]`, false},
		{"utf8 text", `return (await fetch("` + u + `/utf8")).text()`, `"héllo ✓"`, false},
		{"body read once", `const r = await fetch("` + u + `/utf8"); await r.text(); return r.text()`, `Body has already been read`, true},
		{"clone", `const r = await fetch("` + u + `/utf8"); const c = r.clone(); return [await r.text(), await c.text()]`, `["héllo ✓","héllo ✓"]`, false},
		{"body as a stream", `const r = await fetch("` + u + `/utf8"); const got = []; for await (const c of r.body) got.push(...c); return [r.bodyUsed, new TextDecoder().decode(new Uint8Array(got))]`,
			`[true,"héllo ✓"]`, false},
		{"stream sent as the body", `const body = new ReadableStream({start(c) { c.enqueue(new TextEncoder().encode("str")); c.enqueue(new TextEncoder().encode("eam")); c.close() }});
			const r = await fetch("` + u + `/echo", {method: "POST", body, duplex: "half"}); return [await r.text(), body.locked]`, `["stream",true]`, false},
		{"stream body without duplex", `return fetch("` + u + `/echo", {method: "POST", body: new ReadableStream()})`, `duplex`, true},
		{"no body for 204", `const r = await fetch("` + u + `/status/204"); return [r.body, await r.text()]`, `[null,""]`, false},
		{"error status resolves", `const r = await fetch("` + u + `/status/404"); return [r.status, r.ok]`, `[404,false]`, false},
		{"redirect followed", `const r = await fetch("` + u + `/redirect?to=/json"); return [r.status, r.redirected, r.url.endsWith("/json")]`, `[200,true,true]`, false},
		{"redirect manual", `const r = await fetch("` + u + `/redirect?to=/json", {redirect: "manual"}); return [r.status, r.headers.get("location")]`, `[302,"/json"]`, false},
		{"redirect error", `await fetch("` + u + `/redirect?to=/json", {redirect: "error"})`, `redirect is "error"`, true},
		{"redirect loop", `try { await fetch("` + u + `/loop") } catch (e) { return [e.name, e.code, e.message.includes("more than 5 redirects")] }`, `["TypeError","redirect",true]`, false},
		{"timeout option", `try { await fetch("` + u + `/slow", {timeout: 50}) } catch (e) { return [e.name, e.message.includes("timed out after 50 ms")] }`, `["TimeoutError",true]`, false},
		{"abort", `const c = new AbortController(); setTimeout(() => c.abort(), 20); try { await fetch("` + u + `/slow", {signal: c.signal}) } catch (e) { return [e.name] }`, `["AbortError"]`, false},
		{"abort before", `const c = new AbortController(); c.abort(new Error("early")); try { await fetch("` + u + `/json", {signal: c.signal}) } catch (e) { return e.message }`, `"early"`, false},
		{"AbortSignal.timeout", `try { await fetch("` + u + `/slow", {signal: AbortSignal.timeout(30)}) } catch (e) { return e.name }`, `"TimeoutError"`, false},
		{"parallel", `const rs = await Promise.all([1, 2, 3].map(() => fetch("` + u + `/json").then((r) => r.status))); return rs`, `[200,200,200]`, false},
		{"not http", `await fetch("file:///etc/passwd")`, `is not an http or https URL`, true},
		{"GET with body", `await fetch("` + u + `/json", {body: "x"})`, `a GET request cannot have a body`, true},
		{"header injection", `await fetch("` + u + `/json", {headers: {"x-a": "1\r\nHost: evil"}})`, `invalid header value`, true},
		{"http get", `const http = require("http"); const r = await http.get("` + u + `/json", {headers: {authorization: "Bearer t"}}); return [r.status, r.data.auth, r.headers["x-multi"]]`,
			`[200,"Bearer t","a, b"]`, false},
		{"http post json", `const http = require("http"); const r = await http.post("` + u + `/echo", {a: [1]}, {params: {q: "1 2"}}); return [r.status, r.data, r.headers["content-type"]]`,
			`[201,{"a":[1]},"application/json"]`, false},
		{"http error status", `try { await require("http").get("` + u + `/status/503") } catch (e) { return [e.message, e.status, e.response.data] }`,
			`["Request failed with status code 503",503,{"error":"nope"}]`, false},
		{"http create", `const api = require("http").create({baseURL: "` + u + `", headers: {authorization: "k"}}); return (await api.get("/json")).data.auth`, `"k"`, false},
	})
}

// What fetch must refuse: every address that is not public, however it is reached.
func TestFetchRefusesPrivateAddresses(t *testing.T) {
	srv, _ := fetchServer(t)
	port := srv.Listener.Addr().(*net.TCPAddr).Port
	open := New(Config{}) // no allowlist: the default
	var cases []moduleCase
	for _, target := range []string{
		"http://127.0.0.1:%d/json", "http://[::1]:%d/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/",
		"http://192.168.1.1/", "http://172.16.0.1/", "http://100.64.0.1/", "http://0.0.0.0:%d/", "http://[::ffff:127.0.0.1]:%d/",
		"http://[fd00::1]/", "http://224.0.0.1/", "http://localhost:%d/json",
		// Forms the URL Standard's host parser reads as those addresses:
		// what the guard sees dialled is what the parser made of them.
		"http://0x7f.1:%d/json", "http://2130706433:%d/json", "http://0177.0.0.1:%d/json", "http://127.1:%d/json",
		"http://LOCALHOST:%d/json", "http://[0:0::1]:%d/", "http://0xa9.0xfe.0xa9.0xfe/", "http://%%31%%32%%37.0.0.1:%d/json",
	} {
		url := target
		if strings.Contains(target, "%d") {
			url = fmt.Sprintf(target, port)
		}
		cases = append(cases, moduleCase{url, `try { await fetch("` + url + `") } catch (e) { return [e.name, e.code, e.message] }`, "", false})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, rerr := invoke(t, open, functions.TypeApp, "exports.main = async () => { "+c.body+" }", "", `{}`, 5*time.Second)
			if rerr != nil {
				t.Fatal(rerr.Message)
			}
			got := string(res.JSON)
			if !strings.HasPrefix(got, `["TypeError","blocked","fetch `) || !strings.Contains(got, "is not allowed") {
				t.Fatalf("not refused as blocked: %s", got)
			}
		})
	}
	// Redirects are checked too: the allowlisted server sends the function
	// to addresses outside the allowlist.
	allow := loopbackEngine(Config{})
	for _, to := range []string{fmt.Sprintf("http://127.0.0.2:%d/json", port), "http://169.254.169.254/", fmt.Sprintf("http://[::1]:%d/", port)} {
		t.Run("redirect to "+to, func(t *testing.T) {
			res, rerr := invoke(t, allow, functions.TypeApp, `exports.main = async () => { try { await fetch("`+srv.URL+`/redirect?to=`+to+`") } catch (e) { return [e.code, e.message] } }`, "", `{}`, 5*time.Second)
			if rerr != nil {
				t.Fatal(rerr.Message)
			}
			if got := string(res.JSON); !strings.Contains(got, `"blocked"`) || !strings.Contains(got, "is not allowed") {
				t.Fatalf("redirect not refused: %s", got)
			}
		})
	}
}

func TestFetchLimits(t *testing.T) {
	srv, canceled := fetchServer(t)
	e := loopbackEngine(Config{Fetch: FetchConfig{MaxResponseBytes: 1 << 10}})
	res, rerr := invoke(t, e, functions.TypeApp, `exports.main = async () => { try { await fetch("`+srv.URL+`/big") } catch (e) { return [e.code, e.message] } }`, "", `{}`, 5*time.Second)
	if rerr != nil || !strings.Contains(string(res.JSON), `"too_large"`) || !strings.Contains(string(res.JSON), "over the limit of 1024 bytes") {
		t.Fatalf("oversized response: %v %v", res, rerr)
	}
	// The run's time limit ends a fetch in flight, and the request with it.
	start := time.Now()
	_, rerr = invoke(t, e, functions.TypeApp, `exports.main = async () => { await fetch("`+srv.URL+`/slow"); return 1 }`, "", `{}`, 200*time.Millisecond)
	if rerr == nil || rerr.Code != functions.CodeTimeout {
		t.Fatalf("want a timeout, got %+v", rerr)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("the run took %v after its time limit", took)
	}
	deadline := time.Now().Add(2 * time.Second)
	for canceled.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if canceled.Load() == 0 {
		t.Fatal("the server never saw the request cancelled")
	}
	// In-flight fetches are bounded.
	_, rerr = invoke(t, e, functions.TypeApp, `exports.main = async () => { const all = []; for (let i = 0; i < 100; i++) all.push(fetch("`+srv.URL+`/slow")); await Promise.all(all) }`, "", `{}`, 5*time.Second)
	if rerr == nil || !strings.Contains(rerr.Message, "too many asynchronous operations") {
		t.Fatalf("want the in-flight bound, got %+v", rerr)
	}
}

// A fetched Response returned as it is, or its body piped through a
// TransformStream into a new one, is the function's answer (a proxy).
func TestReturnedFetchResponse(t *testing.T) {
	srv, _ := fetchServer(t)
	e := loopbackEngine(Config{})
	for src, want := range map[string]string{
		`exports.main = () => fetch("` + srv.URL + `/utf8")`: "héllo ✓",
		`exports.main = async () => { const r = await fetch("` + srv.URL + `/utf8");
			return new Response(r.body.pipeThrough(new TextDecoderStream()).pipeThrough(new TransformStream({ transform(s, c) { c.enqueue(s.toUpperCase()); } })).pipeThrough(new TextEncoderStream()), { status: 203 }); }`: "HÉLLO ✓",
	} {
		res, rerr := invoke(t, e, functions.TypeApp, src, "", `{}`, 2*time.Second)
		if rerr != nil || res.Response == nil || string(res.Response.Body) != want {
			t.Fatalf("%s: got %+v %v, want a Response with %q", src, res, rerr, want)
		}
	}
}
