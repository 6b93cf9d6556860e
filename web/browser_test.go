// The harness of TestIDE: a real gateway, headless Chromium, and a page
// helper whose every step is bounded in time and fails the test with what
// the page said.
package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/sqlite"
	"github.com/scriptforge/scriptforge/functions/workers"
	"github.com/scriptforge/scriptforge/gateway"
)

const chromium = "/usr/bin/chromium"

// editor is the editor's shadow root, in the page's JavaScript.
const editor = `document.querySelector(".editor").shadowRoot`

const adminKey = "sfk_e2e_admin_key_0123456789"

// startGateway runs a real gateway on a free port, functions in process,
// and returns its base URL.
func startGateway(t *testing.T) string {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "scriptforge.db"))
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{Host: "e2e", KV: engine.LocalKV{Store: store}})
	wm := workers.New(workers.InProcess(eng))
	gw, err := gateway.New(gateway.Config{
		Store: store, Keys: store, Tenants: store, Executor: workers.Dispatch{Functions: eng, Workers: wm}, Workers: wm,
		AdminKey: adminKey,
		// Long enough that only Cancel stops the while(true) run.
		Limits: functions.Limits{DefaultTimeoutMS: 15000, MaxTimeoutMS: 30000, DefaultMemoryMB: 64, MaxMemoryMB: 512},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = gw.Serve(ln); close(done) }()
	url := "http://" + ln.Addr().String()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = gw.Shutdown(ctx)
		<-done
		wm.Close()
		store.Close()
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("the gateway did not start: %v", err)
		}
	}
}

// startBrowser launches headless Chromium with a fresh profile and
// collects what the page writes to its console; the returned func
// reports every error among it.
func startBrowser(t *testing.T) (context.Context, func() []string) {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing: .ci/run installs Debian's chromium package", chromium)
		}
		t.Skipf("%s is missing (apt-get install chromium)", chromium)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a timeout
		t.Fatal(err)
	}
	var mu sync.Mutex
	var errs []string
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// The network's own lines (a 400 the page asked for and
			// explains, an aborted stream) are not the page's errors.
			if (m.Type == chromedp.ConsoleError || m.IsException()) && !expectedNetworkError(m) {
				mu.Lock()
				where := m.URL
				if m.Stack != nil && len(m.Stack.CallFrames) > 0 {
					f := m.Stack.CallFrames[0]
					where = fmt.Sprintf("%s (%s:%d:%d)", f.FunctionName, f.URL, f.LineNumber+1, f.ColumnNumber+1)
				}
				errs = append(errs, m.String()+" at "+where)
				mu.Unlock()
			}
		}
	}()
	return ctx, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), errs...) }
}

// expectedNetworkError: the browser logs every answer of 400 and more as
// an error, and the test asks for some on purpose (a wrong key, a syntax
// error, a 422 for a schedule's zone, a 429, the network cut); the page shows each as a message. Any
// other failed load (a 404 or 500, a missing asset) counts.
func expectedNetworkError(m chromedp.ConsoleMessage) bool {
	return m.Source == "network" && (strings.Contains(m.Text, "status of 400") || strings.Contains(m.Text, "status of 401") ||
		strings.Contains(m.Text, "status of 422") || strings.Contains(m.Text, "status of 429") || strings.Contains(m.Text, "ERR_INTERNET_DISCONNECTED"))
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// page runs steps in the browser's tab, each bounded in time.
type page struct {
	t     *testing.T
	ctx   context.Context
	shots string
	n     int
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		p.t.Fatalf("%v (page: %s)", err, p.messages())
	}
}

// wait polls a JavaScript predicate for up to 10 s.
func (p *page) wait(js, what string) {
	p.t.Helper()
	if _, err := chromedp.Run(p.ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(10*time.Second), chromedp.WithPollingInterval(20*time.Millisecond))); err != nil {
		p.screenshot("failed")
		p.t.Fatalf("waiting for %s: %v (page: %s)", what, err, p.messages())
	}
}

func (p *page) waitText(sel, text string) {
	p.t.Helper()
	p.wait(fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, text), fmt.Sprintf("%q in %s", text, sel))
}

func (p *page) check(js, what string) {
	p.t.Helper()
	ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		p.t.Fatalf("%s: %v %v", what, ok, err)
	}
}

func (p *page) text(sel string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q).textContent`, sel)))
	if err != nil {
		p.t.Fatal(err)
	}
	return s
}

func (p *page) signIn(key string) {
	p.t.Helper()
	p.signInTo(key, "#list-title")
}

// signInTo signs in and waits for the page the address names.
func (p *page) signInTo(key, landing string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(`input[type=password]`, key), chromedp.Click(`form.signin button[type=submit]`))
	p.wait(fmt.Sprintf(`document.querySelector(%q) !== null`, landing), "the page after signing in")
}

// newKey makes a key of the default tenant with the given scopes, through
// the admin API, as an operator would hand one out.
func newKey(t *testing.T, url string, scopes ...string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"name": "e2e " + strings.Join(scopes, ","), "scopes": scopes})
	req, _ := http.NewRequest("POST", url+"/v1/tenants/default/keys", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var k struct {
		Secret string `json:"secret"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&k); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("new key: %d %v", resp.StatusCode, err)
	}
	return k.Secret
}

// offline cuts the page off the network, or puts it back.
func (p *page) offline(off bool) {
	p.t.Helper()
	p.do(chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		var rules []*network.Conditions
		if off {
			rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
		}
		_, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules})
		return err
	}))
}

// setValue sets a form control's value as typing or choosing would,
// with its input and change events.
func (p *page) setValue(sel, value string) {
	p.t.Helper()
	p.check(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return e.value === %q; })()`, sel, value, value), "setting "+sel)
}

// messages is the page's message area, for failures.
func (p *page) messages() string {
	s, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`[".messages", "#result"].map((s) => (document.querySelector(s) || {}).textContent).join(" | ")`))
	return s
}

// setSource replaces the editor's text as a user would: select all,
// then paste. The paste is a paste event with the text, which CodeMirror
// handles itself; inserting through the browser's own editing would have
// Chromium write inline styles into the editor, which the CSP refuses.
func (p *page) setSource(src string) {
	p.t.Helper()
	p.check(editor+`.querySelector(".cm-content").focus() === undefined`, "focusing the editor")
	p.do(chromedp.KeyEvent("a", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	p.check(fmt.Sprintf(`(() => { const dt = new DataTransfer(); dt.setData("text/plain", %q);
		return `+editor+`.querySelector(".cm-content").dispatchEvent(new ClipboardEvent("paste", {clipboardData: dt, bubbles: true, cancelable: true})) === false; })()`, src),
		"pasting into the editor")
	p.waitText(".savestate", "unsaved")
}

// noSecret fails if the value is anywhere in the page: its markup or a
// form control's value.
func (p *page) noSecret(secret string) {
	p.t.Helper()
	p.check(fmt.Sprintf(`!document.documentElement.outerHTML.includes(%q) && ![...document.querySelectorAll("input, textarea, select")].some((e) => e.value.includes(%q))`, secret, secret),
		"the private value is not in the page")
}

func (p *page) screenshot(name string) {
	p.t.Helper()
	var buf []byte
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Fatal(err)
	}
	p.n++
	if err := os.WriteFile(filepath.Join(p.shots, fmt.Sprintf("%02d-%s.png", p.n, name)), buf, 0o644); err != nil {
		p.t.Fatal(err)
	}
}
