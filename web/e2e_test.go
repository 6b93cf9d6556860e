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

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

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
// error, a 429, the network cut); the page shows each as a message. Any
// other failed load (a 404 or 500, a missing asset) counts.
func expectedNetworkError(m chromedp.ConsoleMessage) bool {
	return m.Source == "network" && (strings.Contains(m.Text, "status of 400") || strings.Contains(m.Text, "status of 401") ||
		strings.Contains(m.Text, "status of 429") || strings.Contains(m.Text, "ERR_INTERNET_DISCONNECTED"))
}

// TestIDE drives the IDE through the page only, in real Chromium, against
// a real gateway: every step of the workflow, and no console
// error along the way.
func TestIDE(t *testing.T) {
	url := startGateway(t)
	ctx, consoleErrors := startBrowser(t)
	shots, err := os.MkdirTemp("", "scriptforge-ide-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	started := time.Now()
	b := &page{t: t, ctx: ctx, shots: shots}
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: url}); err != nil {
			t.Fatal(err)
		}
	}

	// Sign in: a wrong key is refused in the page, the right one opens
	// the list; the key is in session storage only.
	b.do(chromedp.Navigate(url + "/"))
	b.do(chromedp.SendKeys(`input[type=password]`, "sfk_wrong"), chromedp.Click(`form.signin button[type=submit]`))
	b.waitText(".msg-error", "401")
	b.setValue(`input[type=password]`, "")
	b.signIn(adminKey)
	b.check(`sessionStorage.getItem("scriptforge.key") === "`+adminKey+`" && document.cookie === "" && !JSON.stringify(localStorage).includes("sfk_")`, "the key is in session storage only")

	// Create an App from its template; Save & Run shows its result.
	b.do(chromedp.SendKeys(`.create input[type=text]`, "hello-app"), chromedp.Click(`#tpl-app`), chromedp.Click(`.create button[type=submit]`))
	b.waitText("#fn-uuid", "-")
	b.do(chromedp.Click(`#run`))
	b.waitText("#result-body", `"hello": "world"`)
	b.waitText("#result-status", "200")
	b.wait(`/ms|µs|s$/.test(document.querySelector("#cpu-time").textContent)`, "the CPU time")
	b.screenshot("editor")

	// The editor has line numbers, highlighting and search (Ctrl+F).
	b.check(editor+`.querySelectorAll(".cm-lineNumbers .cm-gutterElement").length >= 4 && `+editor+`.querySelector(".cm-content span[class]") !== null`, "line numbers and highlighting")
	b.check(editor+`.querySelector(".cm-content").focus() === undefined`, "focusing the editor")
	b.do(chromedp.KeyEvent("f", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.wait(editor+`.querySelector(".cm-search input[name=search]") !== null`, "the search panel")
	b.do(chromedp.KeyEvent(kb.Escape))

	// A line printed before the run ends is in the console while the
	// result is not there yet. Ctrl+Enter saves and runs.
	b.setSource("export async function main(data) {\n  console.log(\"tick before wait\");\n  await new Promise((r) => setTimeout(r, 1500));\n  return { done: true };\n}\n")
	b.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.wait(`(() => { const c = document.querySelector("#console").textContent.includes("tick before wait");
		if (c && document.querySelector("#result-body")) throw new Error("the result came with the line"); return c; })()`, "the live console line")
	b.check(`document.querySelector("#run-state") !== null`, "the run is still going")
	b.waitText("#result-body", `"done": true`)

	// A syntax error is marked at its line when saving.
	b.setSource("export async function main(data) {\n  const x = 1;\n  return { a: 1;\n}\n")
	b.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText("#error-preview", "line 3")
	b.wait(editor+`.querySelector(".cm-lintRange-error") !== null && `+editor+`.querySelector(".cm-lint-marker-error") !== null`, "the marked line")

	// A runtime error's stack marks its line too.
	b.setSource("function main(data) {\n  const a = 1;\n  null.x;\n}\n")
	b.do(chromedp.Click(`#run`))
	b.waitText("#error-preview", "TypeError")
	b.waitText("#error-preview", "line 3")

	// Cancel stops a while(true) run.
	b.setSource("export async function main(data) {\n  while (true) {}\n}\n")
	b.do(chromedp.Click(`#run`))
	b.waitText("#run-state", "request")
	t0 := time.Now()
	b.do(chromedp.Click(`#cancel`))
	b.waitText("#result-status", "cancelled")
	if d := time.Since(t0); d > 5*time.Second {
		t.Fatalf("cancel took %v", d)
	}

	// A private variable reaches process.env but never the page.
	const secret = "s3cr3t-value"
	b.do(chromedp.Click(`#tab-variables`), chromedp.Click(`#add-var`))
	b.setValue(`.vars tbody tr:last-child .var-flag`, "private")
	b.do(chromedp.SendKeys(`.vars tbody tr:last-child .var-name`, "TOKEN"),
		chromedp.SendKeys(`.vars tbody tr:last-child .var-value`, secret),
		chromedp.Click(`#save-vars`))
	b.waitText(".messages", "Variables saved")
	b.noSecret(secret)
	b.do(chromedp.Click(`#tab-code`))
	// (And a public function never sees the signed-in key.)
	b.setSource("export async function main(data, ctx) {\n  console.log(\"token\", process.env.TOKEN);\n  return { reversed: process.env.TOKEN.split(\"\").reverse().join(\"\"), authorization: ctx.request.headers.authorization || \"none\" };\n}\n")
	b.do(chromedp.Click(`#run`))
	b.waitText("#result-body", reverse(secret))
	b.waitText("#result-body", `"authorization": "none"`)
	b.noSecret(secret)

	// Copy UUID puts the UUID on the clipboard.
	b.do(chromedp.Click(`#copy-uuid`))
	b.waitText(".messages", "UUID copied")
	clip, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatal(err)
	}
	uuid := b.text("#fn-uuid")
	if clip != uuid || len(uuid) != 36 {
		t.Fatalf("clipboard %q, UUID %q", clip, uuid)
	}

	// Settings: a change is saved and shown back.
	// A refused one names its field in the page.
	b.do(chromedp.Click(`#tab-settings`))
	b.setValue(`#set-routing_order`, "7")
	b.do(chromedp.Click(`#set-fresh_runtime`), chromedp.Click(`#save-settings`))
	b.waitText(".messages", "Settings saved")
	b.check(`document.querySelector("#set-routing_order").value === "7" && document.querySelector("#set-fresh_runtime").checked`, "the saved settings")
	b.screenshot("settings")
	b.setValue(`#set-memory_mb`, "99999")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText(".msg-error", "memory_mb")
	b.setValue(`#set-memory_mb`, "64")
	b.setValue(`#set-state_ttl_s`, "1")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText(".messages", "voice.state_ttl_s")
	b.check(`document.querySelector("#set-state_ttl_s").getAttribute("aria-invalid") === "true"`, "the refused field is marked")
	b.setValue(`#set-state_ttl_s`, "")

	// Versions: diff one against live, then roll back to version 1.
	b.do(chromedp.Click(`#tab-versions`))
	b.do(chromedp.Click(`button[data-diff="1"]`))
	b.waitText("#diff", "against live")
	b.wait(`document.querySelector("#diff .dadd, #diff .ddel") !== null`, "the diff's lines")
	b.screenshot("versions-diff")
	b.do(chromedp.Click(`button[data-rollback="1"]`))
	b.waitText(".messages", "Version 1 is live again")
	b.waitText(".fnhead", "live v1 of")

	// Runs: the slow run's logs are there.
	b.do(chromedp.Click(`#tab-runs`))
	b.wait(`document.querySelectorAll("button[data-run]").length >= 4`, "the recent runs")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("button[data-run]").forEach((b) => b.click())`))
	b.waitText(".runs", "tick before wait")
	b.check(`!document.querySelector(".runs").textContent.includes("`+secret+`")`, "the private value is masked in the run's logs")
	b.screenshot("runs")
	b.setValue(`#runs-status`, "cancelled")
	b.wait(`document.querySelectorAll("button[data-run]").length === 1`, "the cancelled run alone")

	// The Logs tab follows the function's lines as other callers run it.
	b.do(chromedp.Click(`#tab-logs`), chromedp.Click(`#follow`))
	b.waitText("#panel-logs", "Following")
	resp, err := http.Post(url+"/v1/fn/"+uuid, "application/json", strings.NewReader(`{"name":"curl"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	b.waitText("#follow-lines", "hello from an App")
	b.do(chromedp.Click(`#follow`))
	b.waitText("#panel-logs", "Not following")

	// A 429 says when to retry.
	b.do(chromedp.Click(`#tab-settings`))
	b.setValue(`#set-memory_mb`, "64")
	b.setValue(`#set-rate`, "0.1")
	b.setValue(`#set-burst`, "1")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText(".messages", "Settings saved")
	b.do(chromedp.Click(`#tab-code`), chromedp.Click(`#run`))
	b.waitText("#result-status", "200")
	b.do(chromedp.Click(`#run`))
	b.waitText("#result", "429")
	b.waitText(".messages", "429")
	b.waitText(".messages", "retry after 10 s")

	// A network failure is a message too.
	b.offline(true)
	b.do(chromedp.Click(`#tab-runs`))
	b.waitText(".messages", "Network error")
	b.offline(false)
	b.do(chromedp.Click(`#tab-code`))

	// The session survives a reload, and so does the test input.
	b.setValue(`#test-input`, `{"routing":{"to":"+15550100"}}`)
	b.do(chromedp.Reload())
	b.waitText("#fn-uuid", "-")
	b.check(`document.querySelector("#test-input").value === '{"routing":{"to":"+15550100"}}'`, "the remembered test input")

	// The narrow layout.
	b.do(chromedp.EmulateViewport(800, 900))
	for _, tab := range []string{"code", "settings", "versions", "runs"} {
		b.do(chromedp.Click(`#tab-` + tab))
		if tab == "versions" {
			b.do(chromedp.Click(`button[data-diff]`))
			b.waitText("#diff", "against live")
		}
		b.screenshot(tab + "-800")
	}
	b.do(chromedp.EmulateViewport(1400, 900), chromedp.Click(`#tab-code`))
	b.screenshot("editor-1400")

	// Sign out forgets the key.
	b.do(chromedp.Click(`#signout`))
	b.wait(`document.querySelector("form.signin") !== null && sessionStorage.getItem("scriptforge.key") === null`, "signed out")

	// Keys without a scope get pages that say what is missing.
	readOnly, invokeOnly := newKey(t, url, "functions:read"), newKey(t, url, "functions:invoke")
	b.signIn(readOnly)
	b.waitText(".fnlist", "hello-app")
	b.waitText(".create .lacks", "functions:write")
	b.do(chromedp.Click(`.fnlink`))
	b.waitText("#panel-code .lacks", "functions:write")
	b.do(chromedp.Click(`#tab-settings`))
	b.waitText("#panel-settings .lacks", "functions:write")
	b.check(`document.querySelector("#save-settings").disabled`, "no settings button to fail")
	b.do(chromedp.Click(`#signout`))
	b.signIn(invokeOnly)
	b.waitText(".fnlist .lacks", "functions:read")
	b.do(chromedp.Click(`#signout`))

	// Every template deploys and runs.
	b.signIn(adminKey)
	for _, tpl := range []string{"script", "app", "worker", "routing", "voice"} {
		b.do(chromedp.Click(`.top a[href="#/"]`))
		b.waitText("#create-title", "New function")
		b.do(chromedp.SendKeys(`.create input[type=text]`, "tpl-"+tpl), chromedp.Click(`#tpl-`+tpl), chromedp.Click(`.create button[type=submit]`))
		b.waitText(".fnhead h1", "tpl-"+tpl)
		b.do(chromedp.Click(`#run`))
		b.waitText("#result-status", "200")
		b.waitText("#cpu-time", " ms") // its record read: nothing is left polling
		switch tpl {
		case "worker": // its runtime is up; stop it
			b.do(chromedp.Click(`#tab-settings`))
			b.waitText("#panel-settings", "Worker: running")
			b.do(chromedp.Click(`#worker-stop`))
			b.waitText("#panel-settings", "Worker: stopped")
		case "script": // rotate its UUID, then delete it
			old := b.text("#fn-uuid")
			b.do(chromedp.Click(`#tab-settings`), chromedp.Click(`#rotate-uuid`))
			b.wait(fmt.Sprintf(`document.querySelector("#fn-uuid").textContent.length === 36 && document.querySelector("#fn-uuid").textContent !== %q`, old), "a new UUID")
			b.do(chromedp.Click(`#delete`), chromedp.Click(`#delete-really`))
			b.waitText(".messages", "Deleted tpl-script")
		}
	}
	b.do(chromedp.Click(`.top a[href="#/"]`))
	b.waitText(".fnlist", "tpl-voice")
	b.setValue(`.filters select`, "worker")
	b.wait(`document.querySelectorAll(".fnlink").length === 1 && document.querySelector(".fnlink").textContent === "tpl-worker"`, "the type filter")
	b.setValue(`.filters select`, "all")
	b.check(`!document.querySelector(".fnlist").textContent.includes("tpl-script")`, "the deleted function is gone")
	b.screenshot("list")

	if errs := consoleErrors(); len(errs) > 0 {
		t.Fatalf("the browser console has errors:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("the IDE's workflow took %v", time.Since(started).Round(time.Millisecond))
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
	p.do(chromedp.SendKeys(`input[type=password]`, key), chromedp.Click(`form.signin button[type=submit]`))
	p.waitText("#list-title", "Functions")
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
