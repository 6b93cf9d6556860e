package sandbox

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

// fill sets every field of v, recursively, to a random non-zero value, so
// that a field the codec forgets cannot come back equal by chance.
func fill(v reflect.Value, r *rand.Rand) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(randString(r))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(r.Int63n(1<<40) - 1<<39 | 1)
	case reflect.Uint64:
		v.SetUint(r.Uint64() | 1)
	case reflect.Float64:
		v.SetFloat(r.NormFloat64()*1e6 + 0.5)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, 1+r.Intn(40))
			r.Read(b)
			v.SetBytes(b)
			return
		}
		s := reflect.MakeSlice(v.Type(), 1+r.Intn(3), 1+r.Intn(3)+3)
		for i := 0; i < s.Len(); i++ {
			fill(s.Index(i), r)
		}
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		for i := 1 + r.Intn(4); i > 0; i-- {
			k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			fill(k, r)
			fill(e, r)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), r)
		v.Set(p)
	case reflect.Array:
		for i := 0; i < v.Len(); i++ {
			fill(v.Index(i), r)
		}
	case reflect.Func: // Invocation.OnLog stays in its process: a flag crosses (TestCodecLiveLogs)
	case reflect.Interface: // claims: a JSON string survives the trip as itself
		v.Set(reflect.ValueOf(randString(r)))
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Unix(r.Int63n(4e9)+1, r.Int63n(1e9)).UTC()))
			return
		}
		for i := 0; i < v.NumField(); i++ {
			fill(v.Field(i), r)
		}
	default:
		panic("fill: no case for " + v.Type().String())
	}
}

func randString(r *rand.Rand) string {
	const chars = "abcxyz-_/ é\x00\"\\{}"
	var sb strings.Builder
	for i := 1 + r.Intn(12); i > 0; i-- {
		sb.WriteString(string([]rune(chars)[r.Intn(len([]rune(chars)))]))
	}
	return sb.String()
}

// Every field of every payload crosses the pipe and comes back equal,
// whether the version record travels with the call or is named alone.
func TestCodecRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		var inv functions.Invocation
		fill(reflect.ValueOf(&inv).Elem(), r)
		versions := newVersionTable()
		frame, err := appendRun(nil, 7, &inv, 3, withCode|withVersion)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeRequest(frame, versions)
		if err != nil || got.ID != 7 || !reflect.DeepEqual(got.Inv, &inv) {
			t.Fatalf("invocation with its record: %v\n got %+v\nwant %+v", err, got.Inv, &inv)
		}
		// The next call names the record; it also changes the per-call part.
		inv.RequestID, inv.Data, inv.Code = "second", json.RawMessage(`[1]`), ""
		frame, _ = appendRun(nil, 8, &inv, 3, 0)
		if got, err = decodeRequest(frame, versions); err != nil || !reflect.DeepEqual(got.Inv, &inv) {
			t.Fatalf("invocation by reference: %v\n got %+v\nwant %+v", err, got.Inv, &inv)
		}

		var res functions.Result
		var re functions.RunError
		var call kvCall
		var rep kvReply
		var st engine.Stats
		for _, v := range []any{&res, &re, &call, &rep, &st} {
			fill(reflect.ValueOf(v).Elem(), r)
		}
		st.Programs.Entries, st.Programs.Bytes, st.Programs.MaxBytes = abs(st.Programs.Entries), abs64(st.Programs.Bytes), abs64(st.Programs.MaxBytes)
		st.Warm.Idle, st.Warm.IdleBytes = abs(st.Warm.Idle), abs64(st.Warm.IdleBytes)
		for _, want := range []response{{ID: 9, Result: &res}, {ID: 10, Err: &re}, {ID: 11, KV: &call}, {Stats: &st},
			{ID: 12, NeedCode: true}, {ID: 13, NeedVersion: true}, {ID: 14, NeedCode: true, NeedVersion: true}} {
			got, err := decodeResponse(appendResponse(nil, &want))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("response: %v\n got %+v\nwant %+v", err, got, want)
			}
		}
		for _, want := range []request{{ID: 15, KVReply: &rep}, {ID: 16, Cancel: true}} {
			var frame []byte
			if want.Cancel {
				frame = appendCancel(nil, want.ID)
			} else {
				frame = appendKVReply(nil, want.ID, want.KVReply)
			}
			got, err := decodeRequest(frame, versions)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("request: %v\n got %+v\nwant %+v", err, got, want)
			}
		}
	}
}

// nil and empty are different values on the other side too, as they
// were with JSON (null against [] or {}).
func TestCodecKeepsNilApartFromEmpty(t *testing.T) {
	for _, inv := range []functions.Invocation{
		{},
		{Env: []functions.EnvVar{}, Data: json.RawMessage{}, Auth: map[string]any{},
			Request: functions.RequestInfo{Query: map[string][]string{"a": nil, "b": {}}, Headers: map[string]string{}}},
	} {
		got, err := decodeRequest(must(appendRun(nil, 1, &inv, 1, withVersion)), newVersionTable())
		if err != nil || !reflect.DeepEqual(*got.Inv, inv) {
			t.Errorf("%v\n got %#v\nwant %#v", err, *got.Inv, inv)
		}
	}
	for _, res := range []functions.Result{
		{},
		{JSON: json.RawMessage{}, Logs: []functions.LogLine{}, Response: &functions.HTTPResponse{Headers: map[string]string{}, Body: []byte{}}},
	} {
		got, err := decodeResponse(appendResponse(nil, &response{ID: 1, Result: &res}))
		if err != nil || !reflect.DeepEqual(*got.Result, res) {
			t.Errorf("%v\n got %#v\nwant %#v", err, *got.Result, res)
		}
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// A frame that is cut short, padded, of an unknown kind or with a length
// that lies is an error, never a panic or a half-filled value.
func TestCodecRefusesMalformedFrames(t *testing.T) {
	run := must(appendRun(nil, 1, typicalInvocation(), 1, withVersion|withCode))
	res := appendResponse(nil, &response{ID: 2, Result: typicalResult()})
	traced := &functions.Invocation{Trace: functions.TraceContext{Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	tracedRun := must(appendRun(nil, 1, traced, 1, withVersion))
	claims := must(appendRun(nil, 1, &functions.Invocation{}, 1, withVersion))
	claims = append(claims[:len(claims)-1], claimsJSON, 5, 'n', 'u', 'l', 'l') // claims must be an object
	for _, c := range []struct {
		name  string
		frame []byte
		dir   string // which decoder it is meant for: "req", "resp" or both
	}{
		{"empty", nil, "both"},
		{"unknown kind", []byte{99, 1}, "both"},
		{"id overflows", []byte{kindCancel, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, "both"},
		{"run cut short", run[:len(run)-1], "req"},
		{"run padded", append(append([]byte(nil), run...), 0), "req"},
		// Every bit of the run flags has a meaning now (withTrace took the
		// last): the next flag needs a second flags byte.
		{"run trace cut short", tracedRun[:len(tracedRun)-3], "req"},
		{"need flags unknown", []byte{kindNeed, 1, 0x80}, "resp"},
		{"run claims not an object", claims, "req"},
		{"run simple claims not UTF-8", append(claims[:len(claims)-6:len(claims)-6], claimsSimple, 1, 1, 0xff, 0, 0), "req"},
		{"result cut short", res[:len(res)/2], "resp"},
		{"result padded", append(append([]byte(nil), res...), 0), "resp"},
		{"result bool not 0 or 1", []byte{kindResult, 1, 0, 7}, "resp"},
		{"result count past the end", []byte{kindResult, 1, 0xff, 0xff, 0xff, 0xff, 0x0f}, "resp"},
		{"need without flags", []byte{kindNeed, 1, 0}, "resp"},
	} {
		if c.dir != "resp" {
			if _, err := decodeRequest(c.frame, newVersionTable()); !errors.Is(err, errMalformed) {
				t.Errorf("%s: decodeRequest: %v", c.name, err)
			}
		}
		if c.dir != "req" {
			if _, err := decodeResponse(c.frame); !errors.Is(err, errMalformed) {
				t.Errorf("%s: decodeResponse: %v", c.name, err)
			}
		}
	}
}

// readFrame refuses a length past maxFrame before allocating it, and
// reports a frame cut short as such.
func TestReadFrame(t *testing.T) {
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], maxFrame+1)
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(hdr[:]))); !errors.Is(err, errFrameTooLarge) {
		t.Errorf("oversized: %v", err)
	}
	binary.BigEndian.PutUint32(hdr[:], 10)
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(append(hdr[:], 1, 2, 3)))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("cut short: %v", err)
	}
	if _, err := readFrame(bufio.NewReader(bytes.NewReader(nil))); !errors.Is(err, io.EOF) {
		t.Errorf("clean end: %v", err)
	}
}

// FuzzFrame feeds garbage to both decoders: they must not panic, and what
// they accept must encode and decode again to the same value.
func FuzzFrame(f *testing.F) {
	inv := typicalInvocation()
	inv.Auth = map[string]any{"sub": "u1", "roles": []any{"a"}}
	f.Add(must(appendRun(nil, 1, inv, 1, withVersion|withCode)))
	f.Add(must(appendRun(nil, 1, inv, 1, 0)))
	traced := typicalInvocation()
	traced.Trace = functions.TraceContext{Parent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", State: "vendor=x"}
	f.Add(must(appendRun(nil, 1, traced, 1, 0)))
	fetched := typicalResult()
	fetched.Fetches = []functions.FetchSpan{{SpanID: "00f067aa0ba902b7", Method: "GET", Host: "api.example.com",
		Start: time.Unix(1_800_000_000, 5).UTC(), Duration: time.Millisecond, Status: 200}, {SpanID: "00f067aa0ba902b8", Error: "timeout"}}
	f.Add(appendResponse(nil, &response{ID: 5, Result: fetched}))
	f.Add(appendCancel(nil, 3))
	f.Add(appendKVReply(nil, 4, &kvReply{Call: 1, Reply: functions.KVReply{Value: json.RawMessage(`1`), Keys: []functions.KVListKey{{Name: "k", Expiration: 9}}}}))
	f.Add(appendResponse(nil, &response{ID: 5, Result: typicalResult()}))
	f.Add(appendResponse(nil, &response{ID: 5, Result: &functions.Result{Response: &functions.HTTPResponse{Status: 201, Headers: map[string]string{"a": "b"}, Body: []byte("x")}}}))
	f.Add(appendResponse(nil, &response{ID: 6, Err: &functions.RunError{Status: 500, Code: "x", Logs: typicalResult().Logs, CPU: time.Millisecond}}))
	f.Add(appendResponse(nil, &response{ID: 7, KV: &kvCall{Call: 2, Op: functions.KVOp{Op: "incr", Key: "n", By: 2}}}))
	f.Add(appendResponse(nil, &response{ID: 8, NeedCode: true}))
	second := typicalInvocation()
	functions.ShareContext(second, inv)
	f.Add(must(appendChain(nil, 9, "routing", 3, []*functions.Invocation{inv, second}, []uint64{1, 1}, []byte{withCode, 0})))
	f.Add(appendResponse(nil, &response{ID: 10, Chain: []chainStep{{Result: typicalResult()}, {Result: typicalResult(), Err: &functions.RunError{Code: "x"}},
		{Need: withCode, Data: json.RawMessage(`{}`)}}}))
	f.Fuzz(func(t *testing.T, frame []byte) {
		versions := newVersionTable()
		versions.put(1, recordOf(typicalInvocation()))
		if req, err := decodeRequest(append([]byte(nil), frame...), versions); err == nil {
			var again []byte
			switch {
			case req.Inv != nil:
				again = must(appendRun(nil, req.ID, req.Inv, 2, withVersion|withCode))
			case req.Cancel:
				again = appendCancel(nil, req.ID)
			case req.KVReply != nil:
				again = appendKVReply(nil, req.ID, req.KVReply)
			case req.Chain != nil:
				c := req.Chain
				if c.Need != 0 {
					return // a prefix of the steps: not the frame's whole chain
				}
				vers, flags := make([]uint64, len(c.Steps)), make([]byte, len(c.Steps))
				for i := range vers {
					vers[i], flags[i] = uint64(2+i), withVersion|withCode
				}
				again = must(appendChain(nil, req.ID, c.Handoff, c.Slot, c.Steps, vers, flags))
			case req.unknownVersion:
				return
			default:
				t.Fatalf("decoded to nothing: %+v", req)
			}
			req2, err := decodeRequest(again, versions)
			if err != nil || !sameValue(reflect.ValueOf(req), reflect.ValueOf(req2)) {
				t.Fatalf("request changed on a second trip: %v\n%+v\n%+v", err, req, req2)
			}
		}
		if resp, err := decodeResponse(append([]byte(nil), frame...)); err == nil {
			resp2, err := decodeResponse(appendResponse(nil, &resp))
			if err != nil || !sameValue(reflect.ValueOf(resp), reflect.ValueOf(resp2)) {
				t.Fatalf("response changed on a second trip: %v\n%+v\n%+v", err, resp, resp2)
			}
		}
	})
}

// sameValue is reflect.DeepEqual with floats compared by their bits: the
// codec carries them exactly, NaN included.
func sameValue(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type() != b.Type() {
			return false
		}
		if a.Type() == reflect.TypeFor[time.Time]() {
			return a.Interface().(time.Time).Equal(b.Interface().(time.Time))
		}
		for i := 0; i < a.NumField(); i++ {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); !bv.IsValid() || !sameValue(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	case reflect.String:
		return a.String() == b.String()
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint64, reflect.Uint8:
		return a.Uint() == b.Uint()
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// Claims reach the sandbox as JSON would carry them, whichever way they
// cross: an API key's strings and lists of strings as such, the rest as JSON.
func TestCodecClaims(t *testing.T) {
	for _, claims := range []map[string]any{
		nil,
		{},
		{"type": "apikey", "key_name": "sbc", "tenant": "acme", "scopes": []string{"routing:invoke"}, "key_id": "k1"},
		{"scopes": []string{}, "roles": []any{"a", "b"}},
		{"sub": "u1", "exp": 1.8e9, "nested": map[string]any{"a": true}, "list": []any{"a", 1.0}},
		{"bad": "\xff", "fine": "é"},
		{"null list": []string(nil)},
	} {
		inv := functions.Invocation{Auth: claims}
		got, err := decodeRequest(must(appendRun(nil, 1, &inv, 1, withVersion)), newVersionTable())
		if err != nil {
			t.Fatalf("%v: %v", claims, err)
		}
		var want map[string]any
		if claims != nil {
			_ = json.Unmarshal(must(json.Marshal(claims)), &want)
		}
		if !reflect.DeepEqual(got.Inv.Auth, want) {
			t.Errorf("claims %#v\n got %#v\nwant %#v", claims, got.Inv.Auth, want)
		}
	}
}

func abs(n int) int       { return max(n, -n) }
func abs64(n int64) int64 { return max(n, -n) }
