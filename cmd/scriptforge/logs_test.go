package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// scriptforge logs: stored lines as plain text (stdout is no terminal
// here: no colour codes), the level filter, and -f, which prints the
// stored lines since --since and then the new ones as they come, until
// interrupted.
func TestCLILogs(t *testing.T) {
	g := startGateway(t, "--isolation", "inprocess")
	file := writeFile(t, "chatty.js", `function main(d) { console.log("hello", d.n); console.warn("careful", d.n); return d.n }`)
	out, errOut, code := g.cli(t, "deploy", file)
	if code != 0 {
		t.Fatalf("deploy: %d %s %s", code, out, errOut)
	}
	uuid := regexp.MustCompile(`UUID:\s+(\S+)`).FindStringSubmatch(out)[1]
	id := regexp.MustCompile(`File ID:\s+(\S+)`).FindStringSubmatch(out)[1]
	if _, _, code := g.cli(t, "invoke", uuid, "--data", `{"n":1}`); code != 0 {
		t.Fatalf("invoke: %d", code)
	}
	line := regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (info |warn ) [0-9a-f-]{36} (hello|careful) 1$`)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		out, _, code = g.cli(t, "logs", id)
		if code == 0 && strings.Count(out, "\n") == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("logs: %d %q", code, out)
		}
	}
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !line.MatchString(l) || strings.Contains(l, "\x1b") {
			t.Fatalf("logs line %q", l)
		}
	}
	if out, _, _ = g.cli(t, "logs", id, "--level", "warn"); strings.Count(out, "\n") != 1 || !strings.Contains(out, " warn  ") {
		t.Fatalf("logs --level warn: %q", out)
	}
	if _, errOut, code = g.cli(t, "logs", id, "--level", "loud"); code != 1 || !strings.Contains(errOut, "level") {
		t.Fatalf("bad level: %d %s", code, errOut)
	}

	cmd := exec.Command(binary, "logs", id, "-f", "--since", "10m", "--level", "warn")
	cmd.Env = append(withoutEnv(os.Environ(), "SCRIPTFORGE_ADMIN_KEY"), "SCRIPTFORGE_URL="+g.url, "SCRIPTFORGE_ADMIN_KEY="+g.key)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan string, 10)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l := <-lines:
			return l
		case <-time.After(10 * time.Second):
			t.Fatal("logs -f printed nothing for 10 s")
		}
		return ""
	}
	if l := next(); !strings.HasSuffix(l, " careful 1") {
		t.Fatalf("stored line %q", l)
	}
	if _, _, code := g.cli(t, "invoke", uuid, "--data", `{"n":2}`); code != 0 {
		t.Fatalf("invoke: %d", code)
	}
	if l := next(); !strings.HasSuffix(l, " careful 2") || !strings.Contains(l, " warn  ") {
		t.Fatalf("live line %q", l)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("logs -f after Ctrl-C: %v", err)
	}
}
