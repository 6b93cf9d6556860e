package gateway_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The README's Kamailio recipe, run for real: Kamailio with
// contrib/kamailio/routing.cfg in front of the gateway, sipp placing calls
// and sipp answering them on two egress gateways. A routed call fails over
// from the first route (503) to the second, each branch carrying its own
// header edits; a script that overruns gets the timeout action's 480; a
// run-first script that throws 486 Busy Here gets 486.
func TestKamailioRecipe(t *testing.T) {
	kamailio, sipp := needTool(t, "kamailio"), needTool(t, "sipp")
	s := startServerWith(t, t.TempDir(), "inprocess", 0)
	admin, sw := routingTenant(s, "acme")
	dir := t.TempDir()
	gw1, gw2, proxy := freeUDPPort(t), freeUDPPort(t), freeUDPPort(t)

	s.deployAs(admin, map[string]any{"name": "screen", "routing_priority": "run-first", "source": `
function main(d) {
	if (d.routing.to.endsWith("0486")) throw new Error("486 Busy Here");
	return d;
}`})
	s.deployAs(admin, map[string]any{"name": "lcr", "timeout_ms": 5000, "source": fmt.Sprintf(`
function main(d) {
	if (d.routing.to === "+15550480") for (;;) {}          // overruns its 300 ms
	d.headers = [{key: "X-Trace", value: "t-" + d.routing.call_id}, {key: "X-Added", value: "yes"}];
	d.remove_headers = [{key: "X-Internal"}];
	d.egress_routing = [
		{uri: "sip:" + d.routing.to + "@127.0.0.1:%d", headers: [{key: "X-Route", value: 1}]},
		{uri: "sip:" + d.routing.to + "@127.0.0.1:%d", remove_headers: [{key: "X-Route"}, {key: "X-Trace"}],
		 headers: [{key: "X-Route", value: "2b"}]},
	];
	return d;
}`, gw1, gw2)})
	s.assign(admin, "/v1/routing/customers/carrier-7", map[string]any{
		"function": "lcr", "timeout_ms": 300, "timeout_action": "480 Temporarily Unavailable"})

	cfg, err := os.ReadFile(filepath.Join("..", "contrib", "kamailio", "routing.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(dir, "routing.cfg")
	writeFile(t, cfgPath, string(cfg))
	k := startProcess(t, dir, "kamailio", kamailio, "-f", cfgPath, "-DD", "-E", "-Y", dir,
		"-A", fmt.Sprintf("SF_LISTEN=udp:127.0.0.1:%d", proxy),
		"-A", fmt.Sprintf("SF_GATEWAY=%q", s.url),
		"-A", fmt.Sprintf("SF_KEY=%q", sw),
		"-A", `SF_CUSTOMER="carrier-7"`)
	waitSIP(t, proxy, k)

	// The egress gateways: the first refuses, the second answers.
	writeFile(t, filepath.Join(dir, "refuse.xml"), uasScenario("503 Service Unavailable"))
	writeFile(t, filepath.Join(dir, "answer.xml"), uasScenario("200 OK"))
	uas := func(name string, port int) *process {
		return startProcess(t, dir, name, sipp, "-sf", filepath.Join(dir, name+".xml"), "-i", "127.0.0.1",
			"-p", fmt.Sprint(port), "-m", "1", "-nostdin", "-timeout", "30s", "-timeout_error",
			"-trace_msg", "-message_file", filepath.Join(dir, name+".msgs"))
	}
	refuse, answer := uas("refuse", gw1), uas("answer", gw2)

	call := func(name, to, expect string) {
		t.Helper()
		writeFile(t, filepath.Join(dir, name+".xml"), uacScenario(expect))
		c := startProcess(t, dir, name, sipp, "-sf", filepath.Join(dir, name+".xml"), "-i", "127.0.0.1",
			"-p", fmt.Sprint(freeUDPPort(t)), "-s", to, "-m", "1", "-nostdin", "-timeout", "20s", "-timeout_error",
			"-trace_err", "-error_file", filepath.Join(dir, name+".err"),
			fmt.Sprintf("127.0.0.1:%d", proxy))
		if err := c.wait(25 * time.Second); err != nil {
			t.Fatalf("call %s to %s (expecting %s): %v\n%s\nkamailio:\n%s", name, to, expect, err, c.output(), k.output())
		}
	}
	call("routed", "+15550100", "200")
	for _, p := range []*process{refuse, answer} {
		if err := p.wait(10 * time.Second); err != nil {
			t.Fatalf("egress gateway %s: %v\n%s", p.name, err, p.output())
		}
	}
	// What each egress gateway received: the call-wide edits, then its
	// route's own; X-Route replaced on the second, X-Internal gone on both.
	first, second := receivedInvite(t, filepath.Join(dir, "refuse.msgs")), receivedInvite(t, filepath.Join(dir, "answer.msgs"))
	for _, tc := range []struct {
		who     string
		headers map[string][]string
		want    map[string][]string
	}{
		{"first route", first, map[string][]string{"x-added": {"yes"}, "x-route": {"orig", "1"}, "x-trace": {"t-" + first["call-id"][0]}, "x-internal": nil, "x-keep": {"kept"}}},
		{"second route", second, map[string][]string{"x-added": {"yes"}, "x-route": {"2b"}, "x-trace": nil, "x-internal": nil, "x-keep": {"kept"}}},
	} {
		for name, want := range tc.want {
			if got := tc.headers[name]; strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("%s: %s is %q, want %q", tc.who, name, got, want)
			}
		}
	}

	start := time.Now()
	call("overrun", "+15550480", "480")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the overrunning call took %v to be refused", took)
	}
	call("busy", "+15550486", "486")
}

// The README shows parts of the recipe; each must be the file's own text,
// so that what the README teaches is what TestKamailioRecipe runs.
func TestKamailioRecipeInReadme(t *testing.T) {
	cfg, err := os.ReadFile(filepath.Join("..", "contrib", "kamailio", "routing.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(readme), "```kamailio\n")[1:]
	if len(blocks) < 3 {
		t.Fatalf("the README shows %d parts of the Kamailio recipe; want the request, refusal and branch parts", len(blocks))
	}
	for _, b := range blocks {
		part, _, _ := strings.Cut(b, "```")
		if !strings.Contains(string(cfg), part) {
			t.Errorf("this README part is not in contrib/kamailio/routing.cfg:\n%s", part)
		}
	}
}

// receivedInvite parses the INVITE in a sipp message trace into its
// headers, by lower-case name, in order.
func receivedInvite(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := bytes.Index(b, []byte("INVITE sip:"))
	if at < 0 {
		t.Fatalf("%s has no INVITE:\n%s", path, b)
	}
	headers := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(b[at:]))
	sc.Scan() // the request line
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" {
			break
		}
		name, value, ok := strings.Cut(line, ":")
		if ok {
			n := strings.ToLower(strings.TrimSpace(name))
			headers[n] = append(headers[n], strings.TrimSpace(value))
		}
	}
	return headers
}

// uacScenario places one call to [service] through the proxy and expects
// the final answer code: a 200 is acknowledged and hung up, anything else
// acknowledged.
func uacScenario(code string) string {
	invite := `  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Caller" <sip:+442079460000@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:caller@[local_ip]:[local_port]>
      Max-Forwards: 70
      X-Internal: secret
      X-Route: orig
      X-Keep: kept
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
`
	if code != "200" {
		return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="refused call">
` + invite + `  <recv response="` + code + `"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
</scenario>
`
	}
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answered call">
` + invite + `  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="50"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      [last_From:]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
</scenario>
`
}

// uasScenario answers one INVITE with status: a 200 with SDP, then the
// ACK and the BYE; anything else and its ACK.
func uasScenario(status string) string {
	reply := func(status, extra string) string {
		return `  <send>
    <![CDATA[
      SIP/2.0 ` + status + `
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
` + extra + `    ]]>
  </send>
`
	}
	if status != "200 OK" {
		return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="refusing gateway">
  <recv request="INVITE"/>
` + reply(status, "      Content-Length: 0\n") + `  <recv request="ACK"/>
</scenario>
`
	}
	return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="answering gateway">
  <recv request="INVITE"/>
` + reply(status, `      [last_Record-Route:]
      Contact: <sip:gw@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=gw 1 1 IN IP4 [local_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
`) + `  <recv request="ACK"/>
  <recv request="BYE"/>
` + reply("200 OK", "      Content-Length: 0\n") + `</scenario>
`
}

// needTool finds a program the test drives; without it the test skips,
// except under CI=true, where .ci/run installs it and its absence fails.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; .ci/run installs it", name)
		}
		t.Skipf("%s is not installed (apt-get install kamailio kamailio-json-modules kamailio-utils-modules sip-tester)", name)
	}
	return p
}

func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// process is a program the test started, in a process group of its own
// so that stopping it stops its children (Kamailio's workers) too.
type process struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

func startProcess(t *testing.T, dir, name, path string, args ...string) *process {
	t.Helper()
	p := &process{name: name, cmd: exec.Command(path, args...), out: &syncBuffer{}, done: make(chan error, 1)}
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.done
		p.done <- nil // for a wait after the cleanup
	})
	return p
}

// wait waits for the process to exit and returns its error.
func (p *process) wait(d time.Duration) error {
	select {
	case err := <-p.done:
		p.done <- err
		return err
	case <-time.After(d):
		return fmt.Errorf("%s still running after %v", p.name, d)
	}
}

var sippScreen = regexp.MustCompile(`\x1b\[[0-9;]*[A-Za-z]`)

func (p *process) output() string { return sippScreen.ReplaceAllString(p.out.String(), "") }

// waitSIP waits until the proxy answers an OPTIONS (with the 405 the
// recipe gives anything but INVITE).
func waitSIP(t *testing.T, port int, k *process) {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	local := c.LocalAddr().(*net.UDPAddr).Port
	to := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for i := 0; ctx.Err() == nil; i++ {
		msg := fmt.Sprintf("OPTIONS sip:ping@127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-ping-%d\r\n"+
			"From: <sip:probe@127.0.0.1>;tag=p%d\r\nTo: <sip:ping@127.0.0.1>\r\nCall-ID: ping-%d\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
			port, local, i, i, i)
		if _, err := c.WriteTo([]byte(msg), to); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		buf := make([]byte, 4096)
		if n, _, err := c.ReadFrom(buf); err == nil && bytes.HasPrefix(buf[:n], []byte("SIP/2.0 ")) {
			return
		}
		if err := k.wait(0); err == nil || !strings.Contains(err.Error(), "still running") {
			t.Fatalf("kamailio exited: %v\n%s", err, k.output())
		}
	}
	t.Fatalf("kamailio never answered on port %d:\n%s", port, k.output())
}
