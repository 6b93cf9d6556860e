package web_test

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// ide is what the steps of TestIDE share.
type ide struct {
	url  string
	uuid string // of the function the steps work on
}

// secret is the private variable's value: it must reach process.env and
// never the page.
const secret = "s3cr3t-value"

// TestIDE drives the IDE through the page only, in real Chromium, against
// a real gateway: every step of the workflow in order, on one
// function, and no console error along the way. A step that fails stops
// the ones after it, which build on it.
func TestIDE(t *testing.T) {
	url := startGateway(t)
	ctx, consoleErrors := startBrowser(t)
	shots, err := os.MkdirTemp("", "scriptforge-ide-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	for _, perm := range []string{"clipboard-read", "clipboard-write"} {
		if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: perm}, Setting: browser.PermissionSettingGranted, Origin: url}); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Now()
	b, s := &page{ctx: ctx, shots: shots}, &ide{url: url}
	for _, step := range []struct {
		name string
		run  func(*page, *ide)
	}{
		{"sign in", signIn},
		{"create an App and run it", createAndRun},
		{"editor", editorFeatures},
		{"live console", liveConsole},
		{"error preview", errorPreview},
		{"cancel", cancelRun},
		{"private variable", privateVariable},
		{"copy UUID", copyUUID},
		{"settings", settings},
		{"versions", versions},
		{"runs", runs},
		{"follow logs", followLogs},
		{"429 and network errors", refusals},
		{"reload", reload},
		{"narrow layout", narrowLayout},
		{"keys without a scope", scopes},
		{"templates", templates},
	} {
		if !t.Run(step.name, func(t *testing.T) { b.t = t; step.run(b, s) }) {
			break
		}
	}
	if errs := consoleErrors(); len(errs) > 0 {
		t.Fatalf("the browser console has errors:\n%s", strings.Join(errs, "\n"))
	}
	t.Logf("the IDE's workflow took %v", time.Since(started).Round(time.Millisecond))
}

// signIn: a wrong key is refused in the page, the right one opens the
// list; the key is in session storage only.
func signIn(b *page, s *ide) {
	b.do(chromedp.Navigate(s.url + "/"))
	b.do(chromedp.SendKeys(`input[type=password]`, "sfk_wrong"), chromedp.Click(`form.signin button[type=submit]`))
	b.waitText(".msg-error", "401")
	b.setValue(`input[type=password]`, "")
	b.signIn(adminKey)
	b.check(`sessionStorage.getItem("scriptforge.key") === "`+adminKey+`" && document.cookie === "" && !JSON.stringify(localStorage).includes("sfk_")`, "the key is in session storage only")
}

// createAndRun: an App from its template; Save & Run shows its result.
func createAndRun(b *page, s *ide) {
	b.do(chromedp.SendKeys(`.create input[type=text]`, "hello-app"), chromedp.Click(`#tpl-app`), chromedp.Click(`.create button[type=submit]`))
	b.waitText("#fn-uuid", "-")
	b.do(chromedp.Click(`#run`))
	b.waitText("#result-body", `"hello": "world"`)
	b.waitText("#result-status", "200")
	b.wait(`/ms|µs|s$/.test(document.querySelector("#cpu-time").textContent)`, "the CPU time")
	s.uuid = b.text("#fn-uuid")
	b.screenshot("editor")
}

// editorFeatures: line numbers, highlighting and search (Ctrl+F).
func editorFeatures(b *page, _ *ide) {
	b.check(editor+`.querySelectorAll(".cm-lineNumbers .cm-gutterElement").length >= 4 && `+editor+`.querySelector(".cm-content span[class]") !== null`, "line numbers and highlighting")
	b.check(editor+`.querySelector(".cm-content").focus() === undefined`, "focusing the editor")
	b.do(chromedp.KeyEvent("f", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.wait(editor+`.querySelector(".cm-search input[name=search]") !== null`, "the search panel")
	b.do(chromedp.KeyEvent(kb.Escape))
}

// liveConsole: a line printed before the run ends is in the console
// while the result is not there yet. Ctrl+Enter saves and runs.
func liveConsole(b *page, _ *ide) {
	b.setSource("export async function main(data) {\n  console.log(\"tick before wait\");\n  await new Promise((r) => setTimeout(r, 1500));\n  return { done: true };\n}\n")
	b.do(chromedp.KeyEvent("\r", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.wait(`(() => { const c = document.querySelector("#console").textContent.includes("tick before wait");
		if (c && document.querySelector("#result-body")) throw new Error("the result came with the line"); return c; })()`, "the live console line")
	b.check(`document.querySelector("#run-state") !== null`, "the run is still going")
	b.waitText("#result-body", `"done": true`)
}

// errorPreview: a syntax error is marked at its line when saving (Ctrl+S),
// and a runtime error at the line of its stack.
func errorPreview(b *page, _ *ide) {
	b.setSource("export async function main(data) {\n  const x = 1;\n  return { a: 1;\n}\n")
	b.do(chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitText("#error-preview", "line 3")
	b.wait(editor+`.querySelector(".cm-lintRange-error") !== null && `+editor+`.querySelector(".cm-lint-marker-error") !== null`, "the marked line")

	b.setSource("function main(data) {\n  const a = 1;\n  null.x;\n}\n")
	b.do(chromedp.Click(`#run`))
	b.waitText("#error-preview", "TypeError")
	b.waitText("#error-preview", "line 3")
}

// cancelRun: Cancel stops a while(true) run.
func cancelRun(b *page, _ *ide) {
	b.setSource("export async function main(data) {\n  while (true) {}\n}\n")
	b.do(chromedp.Click(`#run`))
	b.waitText("#run-state", "request")
	t0 := time.Now()
	b.do(chromedp.Click(`#cancel`))
	b.waitText("#result-status", "cancelled")
	if d := time.Since(t0); d > 5*time.Second {
		b.t.Fatalf("cancel took %v", d)
	}
}

// privateVariable: a private variable reaches process.env but never the
// page; and a public function never sees the signed-in key.
func privateVariable(b *page, _ *ide) {
	b.do(chromedp.Click(`#tab-variables`), chromedp.Click(`#add-var`))
	b.setValue(`.vars tbody tr:last-child .var-flag`, "private")
	b.do(chromedp.SendKeys(`.vars tbody tr:last-child .var-name`, "TOKEN"),
		chromedp.SendKeys(`.vars tbody tr:last-child .var-value`, secret),
		chromedp.Click(`#save-vars`))
	b.waitText(".messages", "Variables saved")
	b.noSecret(secret)
	b.do(chromedp.Click(`#tab-code`))
	b.setSource("export async function main(data, ctx) {\n  console.log(\"token\", process.env.TOKEN);\n  return { reversed: process.env.TOKEN.split(\"\").reverse().join(\"\"), authorization: ctx.request.headers.authorization || \"none\" };\n}\n")
	b.do(chromedp.Click(`#run`))
	b.waitText("#result-body", reverse(secret))
	b.waitText("#result-body", `"authorization": "none"`)
	b.noSecret(secret)
}

// copyUUID: Copy UUID puts the UUID on the clipboard.
func copyUUID(b *page, s *ide) {
	b.do(chromedp.Click(`#copy-uuid`))
	b.waitText(".messages", "UUID copied")
	clip, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatal(err)
	}
	if clip != s.uuid || len(s.uuid) != 36 {
		b.t.Fatalf("clipboard %q, UUID %q", clip, s.uuid)
	}
}

// settings: a change is saved and shown back; a refused one names its
// field in the page and marks it.
func settings(b *page, _ *ide) {
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

	// A callback URL with credentials is refused and marked; a good one
	// is shown back.
	b.setValue(`#set-callback_url`, "https://u:p@partner.example.com/results")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText(".messages", "callback_url")
	b.check(`document.querySelector("#set-callback_url").getAttribute("aria-invalid") === "true"`, "the refused callback URL is marked")
	b.setValue(`#set-callback_url`, "https://partner.example.com/results")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText(".messages", "Settings saved")
	b.check(`document.querySelector("#set-callback_url").value === "https://partner.example.com/results"`, "the saved callback URL")

	// A schedule (once a year: no slot comes during the test) shows its
	// next runs in its zone; a zone that does not exist is refused and
	// marked; an empty field clears the schedule.
	b.setValue(`#set-schedule`, "0 9 1 1 *")
	b.setValue(`#set-tz`, "Mars/Olympus_Mons")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText(".messages", "schedule.tz")
	b.check(`document.querySelector("#set-tz").getAttribute("aria-invalid") === "true"`, "the refused zone is marked")
	b.setValue(`#set-tz`, "Europe/Paris")
	b.do(chromedp.Click(`#save-settings`))
	b.wait(`document.querySelectorAll("#next-fires li").length === 5`, "five next runs")
	b.check(`[...document.querySelectorAll("#next-fires time")].every((t) => /-01-01T09:00:00\+01:00$/.test(t.dateTime))`, "each next run on 1 January at 09:00 Paris time")
	b.setValue(`#set-schedule`, "")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText("#next-fires", "No schedule")
}

// versions: diff one against live, then roll back to version 1; the
// editor follows.
func versions(b *page, _ *ide) {
	b.do(chromedp.Click(`#tab-versions`))
	b.do(chromedp.Click(`button[data-diff="1"]`))
	b.waitText("#diff", "against live")
	b.wait(`document.querySelector("#diff .dadd, #diff .ddel") !== null`, "the diff's lines")
	b.screenshot("versions-diff")
	b.do(chromedp.Click(`button[data-rollback="1"]`))
	b.waitText(".messages", "Version 1 is live again")
	b.waitText(".fnhead", "live v1 of")
	b.check(editor+`.querySelector(".cm-content").textContent.includes("hello from an App")`, "the editor shows the live version")
}

// runs: the slow run's logs are there, the private value masked; the
// status filter works.
func runs(b *page, _ *ide) {
	b.do(chromedp.Click(`#tab-runs`))
	b.wait(`document.querySelectorAll("button[data-run]").length >= 4`, "the recent runs")
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("button[data-run]").forEach((b) => b.click())`))
	b.waitText(".runs", "tick before wait")
	b.check(`!document.querySelector(".runs").textContent.includes("`+secret+`")`, "the private value is masked in the run's logs")
	b.screenshot("runs")
	b.setValue(`#runs-status`, "cancelled")
	b.wait(`document.querySelectorAll("button[data-run]").length === 1`, "the cancelled run alone")
}

// followLogs: the Logs tab follows the function's lines as another
// caller runs it.
func followLogs(b *page, s *ide) {
	b.do(chromedp.Click(`#tab-logs`), chromedp.Click(`#follow`))
	b.waitText("#panel-logs", "Following")
	resp, err := http.Post(s.url+"/v1/fn/"+s.uuid, "application/json", strings.NewReader(`{"name":"curl"}`))
	if err != nil {
		b.t.Fatal(err)
	}
	resp.Body.Close()
	b.waitText("#follow-lines", "hello from an App")
	b.do(chromedp.Click(`#follow`))
	b.waitText("#panel-logs", "Not following")
}

// refusals: a 429 says when to retry; a network failure is a message too.
func refusals(b *page, _ *ide) {
	b.do(chromedp.Click(`#tab-settings`))
	b.setValue(`#set-rate`, "0.1")
	b.setValue(`#set-burst`, "1")
	b.do(chromedp.Click(`#save-settings`))
	b.waitText(".messages", "Settings saved")
	b.do(chromedp.Click(`#tab-code`), chromedp.Click(`#run`))
	b.waitText("#result-status", "200")
	b.do(chromedp.Click(`#run`))
	b.waitText("#result", "429")
	b.waitText(".messages", "retry after 10 s")

	b.offline(true)
	b.do(chromedp.Click(`#tab-runs`))
	b.waitText(".messages", "Network error")
	b.offline(false)
	b.do(chromedp.Click(`#tab-code`))
}

// reload: the session survives a reload, and so does the test input.
func reload(b *page, _ *ide) {
	b.setValue(`#test-input`, `{"routing":{"to":"+15550100"}}`)
	b.do(chromedp.Reload())
	b.waitText("#fn-uuid", "-")
	b.check(`document.querySelector("#test-input").value === '{"routing":{"to":"+15550100"}}'`, "the remembered test input")

	// A stale key in the tab sends the user to sign in, then back.
	b.check(`sessionStorage.setItem("scriptforge.key", "sfk_stale") === undefined`, "a stale key")
	b.do(chromedp.Reload())
	b.waitText(".msg-error", "401")
	b.signInTo(adminKey, "#fn-uuid")
}

// narrowLayout: screenshots at 800 px, then back to 1400.
func narrowLayout(b *page, _ *ide) {
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
}

// scopes: sign out forgets the key; keys without a scope get pages that
// say what is missing.
func scopes(b *page, s *ide) {
	b.do(chromedp.Click(`#signout`))
	b.wait(`document.querySelector("form.signin") !== null && sessionStorage.getItem("scriptforge.key") === null`, "signed out")
	readOnly, invokeOnly := newKey(b.t, s.url, "functions:read"), newKey(b.t, s.url, "functions:invoke")
	b.signIn(readOnly)
	b.waitText(".fnlist", "hello-app")
	b.waitText(".create .lacks", "functions:write")
	b.do(chromedp.Click(`.fnlink`))
	b.waitText("#panel-code .lacks", "functions:write")
	b.do(chromedp.Click(`#tab-settings`))
	b.waitText("#panel-settings .lacks", "functions:write")
	b.check(`document.querySelector("#save-settings").disabled`, "no settings button to fail")
	b.do(chromedp.Click(`#tab-versions`))
	b.waitText("#panel-versions .lacks", "rolling back")
	b.wait(`document.querySelector("button[data-diff]") !== null && document.querySelector("button[data-rollback]") === null`, "diffs but no rollback")
	b.do(chromedp.Click(`#signout`))
	b.signIn(invokeOnly)
	b.waitText(".fnlist .lacks", "functions:read")
	b.do(chromedp.Click(`#signout`))
}

// templates: every template deploys and runs; a Worker stops, a UUID
// rotates, a function is deleted, the list filters by type.
func templates(b *page, _ *ide) {
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
		case "worker":
			b.do(chromedp.Click(`#tab-settings`))
			b.waitText("#panel-settings", "Worker: running")
			b.do(chromedp.Click(`#worker-stop`))
			b.waitText("#panel-settings", "Worker: stopped")
		case "script":
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
}
