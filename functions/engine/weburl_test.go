package engine

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// urlCases are testdata/url/cases.json: inputs (with a base or not) and
// setter calls spanning the URL Standard's parser states, hosts,
// percent-encode sets and failures, each with what Node.js makes of it
// (want: the URL's attributes, null where the constructor throws; for a
// setter, the href after it). testdata/url/cases.mjs generates them.
type urlCases struct {
	Parse []struct {
		Input string            `json:"input"`
		Base  *string           `json:"base,omitempty"`
		Want  map[string]string `json:"want"`
	} `json:"parse"`
	Set []struct {
		Href  string `json:"href"`
		Part  string `json:"part"`
		Value string `json:"value"`
		Want  string `json:"want"`
	} `json:"set"`
}

func loadURLCases(t *testing.T) urlCases {
	t.Helper()
	b, err := os.ReadFile("testdata/url/cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var c urlCases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// urlProbe runs every case in one App: new URL(input, base) and its
// attributes (null if it throws a TypeError), and each setter's href.
const urlProbe = `const fields = ["href", "origin", "protocol", "username", "password", "host", "hostname", "port", "pathname", "search", "hash"];
export function main(d) {
  return {
    parse: d.parse.map((c) => {
      try {
        const u = c.base === undefined ? new URL(c.input) : new URL(c.input, c.base);
        return Object.fromEntries(fields.map((f) => [f, u[f]]));
      } catch (e) {
        return e instanceof TypeError ? null : "threw " + e;
      }
    }),
    set: d.set.map((c) => { const u = new URL(c.href); u[c.part] = c.value; return u.href; }),
  };
}`

type urlAnswers struct {
	Parse []map[string]string `json:"parse"`
	Set   []string            `json:"set"`
}

// runURLProbe runs the probe over c's inputs in our runtime.
func runURLProbe(t *testing.T, c urlCases) urlAnswers {
	t.Helper()
	data, _ := json.Marshal(c)
	inv := fnInv(t, "acme", "urls", 1, functions.TypeApp, urlProbe, string(data))
	inv.Timeout = 20 * time.Second
	var got urlAnswers
	if err := json.Unmarshal([]byte(call(t, New(Config{}), inv)), &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// nodeDeviations are inputs where Node.js (v20's ada parser) does not do
// what the URL Standard says; the standard's answer is checked instead.
var nodeDeviations = map[string]map[string]string{
	// Path state: a ".." segment at the end shortens the path and then,
	// as it is not followed by "/", appends an empty segment, for special
	// and non-special URLs alike. Node drops the trailing "/" of the
	// non-special one.
	"foo://ex.com/..": {"href": "foo://ex.com/", "origin": "null", "protocol": "foo:", "username": "", "password": "",
		"host": "ex.com", "hostname": "ex.com", "port": "", "pathname": "/", "search": "", "hash": ""},
}

// compareURLs reports every case where got differs from want.
func compareURLs(t *testing.T, c urlCases, wantParse []map[string]string, wantSet []string, got urlAnswers, against string) {
	t.Helper()
	if len(got.Parse) != len(c.Parse) || len(got.Set) != len(c.Set) {
		t.Fatalf("%d parse and %d setter answers for %d and %d cases", len(got.Parse), len(got.Set), len(c.Parse), len(c.Set))
	}
	badParse, badSet, deviations := 0, 0, 0
	for i, pc := range c.Parse {
		want := wantParse[i]
		if std, ok := nodeDeviations[pc.Input]; ok && pc.Base == nil {
			deviations++
			if reflect.DeepEqual(want, std) {
				t.Logf("node now agrees with the standard on %q: drop it from nodeDeviations", pc.Input)
			}
			want = std
		}
		if !reflect.DeepEqual(got.Parse[i], want) {
			badParse++
			base := "no base"
			if pc.Base != nil {
				base = fmt.Sprintf("base %q", *pc.Base)
			}
			t.Errorf("new URL(%q), %s:\n got  %v\n %s %v", pc.Input, base, got.Parse[i], against, want)
		}
	}
	for i, sc := range c.Set {
		if got.Set[i] != wantSet[i] {
			badSet++
			t.Errorf("new URL(%q).%s = %q: href %q, %s %q", sc.Href, sc.Part, sc.Value, got.Set[i], against, wantSet[i])
		}
	}
	t.Logf("%d of %d parse cases (%d where node departs from the standard: the standard's answer) and %d of %d setter cases agree with %s",
		len(c.Parse)-badParse, len(c.Parse), deviations, len(c.Set)-badSet, len(c.Set), against)
}

// The URL class follows the URL Standard on every case of the table, as
// Node.js does.
func TestURLStandardCases(t *testing.T) {
	c := loadURLCases(t)
	if len(c.Parse)+len(c.Set) < 300 {
		t.Fatalf("only %d cases", len(c.Parse)+len(c.Set))
	}
	wantParse := make([]map[string]string, len(c.Parse))
	for i, pc := range c.Parse {
		wantParse[i] = pc.Want
	}
	wantSet := make([]string, len(c.Set))
	for i, sc := range c.Set {
		wantSet[i] = sc.Want
	}
	compareURLs(t, c, wantParse, wantSet, runURLProbe(t, c), "node (cases.json)")
}

// TestURLAgainstNode runs the same probe in Node.js now, so the table
// cannot drift from what node says. It needs node: skipped without it,
// except under CI=true, where it fails.
func TestURLAgainstNode(t *testing.T) {
	node := nodeOrSkip(t)
	c := loadURLCases(t)
	data, _ := json.Marshal(c)
	// The probe as a script node runs: main over the cases on stdin.
	script := strings.Replace(urlProbe, "export function main", "function main", 1) +
		"\nlet s = ''; process.stdin.on('data', (b) => s += b).on('end', () => process.stdout.write(JSON.stringify(main(JSON.parse(s)))));"
	cmd := exec.Command(node, "-e", script)
	cmd.Stdin = strings.NewReader(string(data))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	var want urlAnswers
	if err := json.Unmarshal(out, &want); err != nil {
		t.Fatal(err)
	}
	compareURLs(t, c, want.Parse, want.Set, runURLProbe(t, c), "node "+nodeVersion(node))
}

// nodeOrSkip finds node for a differential test.
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed, and CI needs it for the differential tests")
		}
		t.Skip("node is not installed")
	}
	return node
}

func nodeVersion(node string) string {
	v, _ := exec.Command(node, "--version").Output()
	return strings.TrimSpace(string(v))
}
