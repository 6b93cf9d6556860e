package routing

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/scriptforge/scriptforge/functions/jsonwalk"
)

// The flat answer is for a switch whose JSON reader only reads the top
// level of an object (Kamailio's json module reads a field by name and
// cannot index an array). It carries the same decision as the nested
// answer, with each egress route's header edits already folded together:
//
//	{"action": "route", "routes": 2,
//	 "headers": "X-Trace: t-1\r\n", "remove_headers": "P-Charge-Info",
//	 "routing_call_id": "a84b…", …,
//	 "route_0_uri": "sip:…", "route_0_headers": "X-Trace: t-1\r\nX-Route: 1\r\n",
//	 "route_0_remove_headers": "P-Charge-Info,X-Carrier", …}
//
// or {"action": "reject", "code": 480, "reason": "Temporarily Unavailable"}.
//
// Header lines are ready to append to a SIP message; removals are header
// names separated by commas (a SIP token never holds a comma). A route's
// lists are what the switch applies to the call as it arrived: the
// call-wide edits, then the route's own, so a call-wide header that the
// route removes is not added, and a header removed and added is replaced.
// Scalar members of routing and of each route are copied under a prefix;
// nested objects and arrays are left out.

// FlatStatus is the flat answer that refuses the call.
func FlatStatus(s Status) []byte {
	var b flatWriter
	b.str("action", "reject")
	b.raw("code", strconv.Itoa(s.Code))
	b.str("reason", s.Message)
	return b.bytes()
}

// Flatten turns routing data that passed ValidateData into the flat answer.
func Flatten(data json.RawMessage) ([]byte, error) {
	if err := ValidateData(data); err != nil {
		return nil, err
	}
	obj := bytes.TrimSpace(data)
	var routing, routes, headers, remove []byte
	_ = jsonwalk.EachMember(obj, func(key string, v []byte) error {
		switch key {
		case "routing":
			routing = v
		case "egress_routing":
			routes = v
		case "headers":
			headers = v
		case "remove_headers":
			remove = v
		}
		return nil
	})
	call := edits(headers, remove)
	var b flatWriter
	b.str("action", "route")
	n := 0
	if routes != nil && isKind(routes, '[') {
		n = jsonwalk.Count(routes)
	}
	b.raw("routes", strconv.Itoa(n))
	b.str("headers", call.lines(nil))
	b.str("remove_headers", strings.Join(call.remove, ","))
	if routing != nil && isKind(routing, '{') {
		scalars(&b, "routing_", routing, nil)
	}
	if n == 0 {
		return b.bytes(), nil
	}
	_ = jsonwalk.EachElement(routes, func(i int, r []byte) error {
		prefix := "route_" + strconv.Itoa(i) + "_"
		var rh, rr []byte
		_ = jsonwalk.EachMember(r, func(key string, v []byte) error {
			switch key {
			case "headers":
				rh = v
			case "remove_headers":
				rr = v
			}
			return nil
		})
		own := edits(rh, rr)
		scalars(&b, prefix, r, map[string]bool{"headers": true, "remove_headers": true})
		gone := nameSet(own.remove)
		b.str(prefix+"headers", call.lines(gone)+own.lines(nil))
		b.str(prefix+"remove_headers", strings.Join(union(call.remove, own.remove), ","))
		return nil
	})
	return b.bytes(), nil
}

// headerEdits is one object's headers and remove_headers, decoded.
type headerEdits struct {
	add    [][2]string // name, value text
	remove []string
}

func edits(headers, remove []byte) headerEdits {
	var e headerEdits
	if headers != nil && isKind(headers, '[') {
		_ = jsonwalk.EachElement(headers, func(_ int, h []byte) error {
			k, v := entry(h)
			e.add = append(e.add, [2]string{k, v})
			return nil
		})
	}
	if remove != nil && isKind(remove, '[') {
		_ = jsonwalk.EachElement(remove, func(_ int, h []byte) error {
			k, _ := entry(h)
			e.remove = append(e.remove, k)
			return nil
		})
	}
	return e
}

// entry reads a validated {key, value}: the value as header text.
func entry(h []byte) (key, value string) {
	_ = jsonwalk.EachMember(h, func(field string, v []byte) error {
		switch {
		case field == "key":
			key = jsonwalk.Unquote(v)
		case field == "value" && isKind(v, '"'):
			value = jsonwalk.Unquote(v)
		case field == "value":
			value = string(v) // a number, as written
		}
		return nil
	})
	return key, value
}

// lines is the added headers as SIP header lines, leaving out those
// whose names are in skip.
func (e headerEdits) lines(skip map[string]bool) string {
	var sb strings.Builder
	for _, h := range e.add {
		if !skip[strings.ToLower(h[0])] {
			sb.WriteString(h[0] + ": " + h[1] + "\r\n")
		}
	}
	return sb.String()
}

// nameSet is a set of header names; SIP header names ignore case.
func nameSet(names []string) map[string]bool {
	s := make(map[string]bool, len(names))
	for _, n := range names {
		s[strings.ToLower(n)] = true
	}
	return s
}

// union is a then the names of b not already in a, each name once.
func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range append(append([]string(nil), a...), b...) {
		if l := strings.ToLower(n); !seen[l] {
			seen[l] = true
			out = append(out, n)
		}
	}
	return out
}

// scalars copies the string, number and boolean members of obj under
// prefix, in order; a repeated key keeps its last value, as a decoder would.
func scalars(b *flatWriter, prefix string, obj []byte, skip map[string]bool) {
	_ = jsonwalk.EachMember(obj, func(key string, v []byte) error {
		if skip[key] {
			return nil
		}
		switch first(v) {
		case '{', '[', 'n':
			return nil
		}
		b.raw(prefix+key, string(v))
		return nil
	})
}

// flatWriter builds a JSON object with keys in the order first set.
type flatWriter struct {
	keys []string
	vals map[string]string // raw JSON
}

func (w *flatWriter) raw(key, v string) {
	if w.vals == nil {
		w.vals = map[string]string{}
	}
	if _, ok := w.vals[key]; !ok {
		w.keys = append(w.keys, key)
	}
	w.vals[key] = v
}

func (w *flatWriter) str(key, s string) {
	q, _ := json.Marshal(s) // a string cannot fail
	w.raw(key, string(q))
}

func (w *flatWriter) bytes() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range w.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		q, _ := json.Marshal(k)
		b.Write(q)
		b.WriteByte(':')
		b.WriteString(w.vals[k])
	}
	b.WriteByte('}')
	return b.Bytes()
}
