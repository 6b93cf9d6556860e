package routing

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestFlatten(t *testing.T) {
	for _, tc := range []struct {
		name, data string
		want       map[string]any
	}{
		{"no routes", `{"routing":{"to":"+15550100","n":3,"ok":true,"nested":{"a":1},"gone":null}}`, map[string]any{
			"action": "route", "routes": 0.0, "headers": "", "remove_headers": "",
			"routing_to": "+15550100", "routing_n": 3.0, "routing_ok": true,
		}},
		{"call-wide only", `{"headers":[{"key":"X-A","value":1},{"key":"X-B","value":"b c"}],"remove_headers":[{"key":"X-A"}],"egress_routing":[{"uri":"sip:a@gw"}]}`, map[string]any{
			"action": "route", "routes": 1.0,
			"headers": "X-A: 1\r\nX-B: b c\r\n", "remove_headers": "X-A",
			"route_0_uri": "sip:a@gw", "route_0_headers": "X-A: 1\r\nX-B: b c\r\n", "route_0_remove_headers": "X-A",
		}},
		{"a route drops a call-wide header and replaces one", `{
			"headers":[{"key":"X-Trace","value":"t-1"},{"key":"X-Route","value":"all"}],
			"remove_headers":[{"key":"P-Charge-Info"}],
			"egress_routing":[
				{"uri":"sip:1@gw1","timeout_ms":800,"headers":[{"key":"X-Route","value":1}],"remove_headers":[{"key":"X-Carrier"}]},
				{"uri":"sip:1@gw2","remove_headers":[{"key":"x-route"},{"key":"p-charge-info"}],"headers":[{"key":"X-Route","value":"2b"}]}]}`,
			map[string]any{
				"action": "route", "routes": 2.0,
				"headers": "X-Trace: t-1\r\nX-Route: all\r\n", "remove_headers": "P-Charge-Info",
				"route_0_uri": "sip:1@gw1", "route_0_timeout_ms": 800.0,
				"route_0_headers":        "X-Trace: t-1\r\nX-Route: all\r\nX-Route: 1\r\n",
				"route_0_remove_headers": "P-Charge-Info,X-Carrier",
				"route_1_uri":            "sip:1@gw2",
				"route_1_headers":        "X-Trace: t-1\r\nX-Route: 2b\r\n",
				"route_1_remove_headers": "P-Charge-Info,x-route",
			}},
		{"escapes survive", `{"routing":{"display":"O\"Brien \u00e9"},"headers":[{"key":"X-Q","value":"a\"b\\c"}]}`, map[string]any{
			"action": "route", "routes": 0.0, "headers": "X-Q: a\"b\\c\r\n", "remove_headers": "",
			"routing_display": "O\"Brien é",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Flatten(json.RawMessage(tc.data))
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("%s: %v", out, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
	if _, err := Flatten(json.RawMessage(`{"headers":[{"key":"Bad Name","value":1}]}`)); err == nil {
		t.Fatal("invalid routing data was flattened")
	}
}

func TestFlatStatus(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(FlatStatus(Status{Code: 486, Message: `Busy "Here"`}), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"action": "reject", "code": 486.0, "reason": `Busy "Here"`}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// A switch that applies a route's flat lists to the call as it arrived
// must end with the headers it would have with the nested answer, edit
// after edit: call-wide removals, call-wide additions, the route's
// removals, the route's additions. Random edits over a few names.
func TestFlattenAppliesLikeNested(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	names := []string{"X-A", "x-a", "X-B", "P-Charge-Info", "X-Route"}
	list := func(adding bool) ([]map[string]any, int) {
		n := rng.Intn(4)
		out := make([]map[string]any, n)
		for i := range out {
			out[i] = map[string]any{"key": names[rng.Intn(len(names))]}
			if adding {
				out[i]["value"] = strconv.Itoa(rng.Intn(100))
			}
		}
		return out, n
	}
	for iter := 0; iter < 500; iter++ {
		arrived := []header{{"X-A", "orig"}, {"Via", "v"}, {"X-Route", "orig"}, {"P-Charge-Info", "pci"}}
		ch, _ := list(true)
		cr, _ := list(false)
		routes := make([]map[string]any, 1+rng.Intn(3))
		for i := range routes {
			h, _ := list(true)
			r, _ := list(false)
			routes[i] = map[string]any{"uri": fmt.Sprintf("sip:%d@gw", i), "headers": h, "remove_headers": r}
		}
		data, _ := json.Marshal(map[string]any{"headers": ch, "remove_headers": cr, "egress_routing": routes})
		out, err := Flatten(data)
		if err != nil {
			t.Fatal(err)
		}
		var flat map[string]any
		if err := json.Unmarshal(out, &flat); err != nil {
			t.Fatal(err)
		}
		for i, r := range routes {
			want := apply(apply(apply(apply(arrived, nil, cr), ch, nil), nil, r["remove_headers"].([]map[string]any)), r["headers"].([]map[string]any), nil)
			p := "route_" + strconv.Itoa(i) + "_"
			got := removeNames(arrived, flat[p+"remove_headers"].(string))
			got = append(got, parseLines(flat[p+"headers"].(string))...)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("%s\nroute %d: flat gives %v, nested %v", data, i, got, want)
			}
		}
	}
}

type header struct{ name, value string }

// apply removes every header named in remove, then appends add.
func apply(hs []header, add, remove []map[string]any) []header {
	var out []header
	for _, h := range hs {
		gone := false
		for _, r := range remove {
			gone = gone || strings.EqualFold(r["key"].(string), h.name)
		}
		if !gone {
			out = append(out, h)
		}
	}
	for _, a := range add {
		out = append(out, header{a["key"].(string), a["value"].(string)})
	}
	return out
}

func removeNames(hs []header, names string) []header {
	var out []header
	for _, h := range hs {
		gone := false
		for _, n := range strings.Split(names, ",") {
			gone = gone || strings.EqualFold(n, h.name)
		}
		if !gone {
			out = append(out, h)
		}
	}
	return out
}

func parseLines(s string) []header {
	var out []header
	for _, l := range strings.Split(strings.TrimSuffix(s, "\r\n"), "\r\n") {
		if l == "" {
			continue
		}
		k, v, _ := strings.Cut(l, ": ")
		out = append(out, header{k, v})
	}
	return out
}

// The README's flat example is the flattening of its nested one.
func TestReadmeFlatExample(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := func(after string) []byte {
		t.Helper()
		_, rest, ok := strings.Cut(string(readme), after)
		if !ok {
			t.Fatalf("the README no longer says %q", after)
		}
		_, rest, _ = strings.Cut(rest, "```json\n")
		body, _, _ := strings.Cut(rest, "```")
		return []byte(body)
	}
	nested, flat := block("An answer with two egress routes:"), block("The answer above, flat:")
	out, err := Flatten(nested)
	if err != nil {
		t.Fatal(err)
	}
	var got, want map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(flat, &want); err != nil {
		t.Fatalf("the README's flat example: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("the README's flat example differs from the flattened nested one:\n got %s", out)
	}
}
