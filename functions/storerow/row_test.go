package storerow

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/queue"
)

// fakeRow is a row of column values, scanned as a driver would: each
// value is assigned to its destination, whose type must match.
type fakeRow []any

func (r fakeRow) Scan(dest ...any) error {
	if len(dest) != len(r) {
		return fmt.Errorf("scan: %d destinations for %d columns", len(dest), len(r))
	}
	for i, d := range dest {
		dv := reflect.ValueOf(d).Elem()
		v := reflect.ValueOf(r[i])
		if !v.Type().ConvertibleTo(dv.Type()) || v.Kind() != dv.Kind() {
			return fmt.Errorf("scan: column %d: %T into %T", i, r[i], d)
		}
		dv.Set(v.Convert(dv.Type()))
	}
	return nil
}

// errRow is a row whose Scan fails, as with no rows.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

func TestMillis(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 45, 123_456_789, time.FixedZone("X", 3600))
	tests := []struct {
		name string
		ms   int64
		opt  time.Time
		ptr  *time.Time
	}{
		{"zero is none", 0, time.Time{}, nil},
		{"a time", ToMillis(at), at.Truncate(time.Millisecond).UTC(), new(at.Truncate(time.Millisecond).UTC())},
		{"before 1970", -1500, time.UnixMilli(-1500).UTC(), new(time.UnixMilli(-1500).UTC())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := OptMillis(tt.ms); !got.Equal(tt.opt) || got.Location() != time.UTC && !got.IsZero() {
				t.Errorf("OptMillis(%d) = %v, want %v in UTC", tt.ms, got, tt.opt)
			}
			got := OptionalMillis(tt.ms)
			if (got == nil) != (tt.ptr == nil) || got != nil && !got.Equal(*tt.ptr) {
				t.Errorf("OptionalMillis(%d) = %v, want %v", tt.ms, got, tt.ptr)
			}
		})
	}
	if got := FromMillis(ToMillis(at)); !got.Equal(at.Truncate(time.Millisecond)) || got.Location() != time.UTC {
		t.Errorf("FromMillis(ToMillis(t)) = %v, want %v in UTC", got, at.Truncate(time.Millisecond))
	}
}

func TestDecodeList(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    []string
		wantErr bool
	}{
		{"empty text", "", []string{}, false},
		{"empty array", "[]", []string{}, false},
		{"null", "null", []string{}, false},
		{"values", `["a","b"]`, []string{"a", "b"}, false},
		{"not JSON", `["a"`, nil, true},
		{"an object", `{"a":1}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := DecodeList(tt.text, &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeList(%q) error = %v, want error %v", tt.text, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if got == nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("DecodeList(%q) = %#v, want %#v (non-nil)", tt.text, got, tt.want)
			}
		})
	}
}

func TestEncodeList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "[]"},
		{[]string{}, "[]"},
		{[]string{"x", `"q"`}, `["x","\"q\""]`},
	}
	for _, tt := range tests {
		got, err := EncodeList(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("EncodeList(%#v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestDecodeObject(t *testing.T) {
	type obj struct {
		N int `json:"n"`
	}
	tests := []struct {
		text    string
		want    obj
		wantErr bool
	}{
		{"", obj{}, false},
		{"{}", obj{}, false},
		{`{"n":3}`, obj{N: 3}, false},
		{`{"n":"3"}`, obj{}, true},
		{`{`, obj{}, true},
	}
	for _, tt := range tests {
		got := obj{N: 99} // overwritten, not merged
		err := DecodeObject(tt.text, &got)
		if (err != nil) != tt.wantErr || !tt.wantErr && got != tt.want {
			t.Errorf("DecodeObject(%q) = %+v, %v; want %+v, error %v", tt.text, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestVoiceColumn(t *testing.T) {
	tests := []struct {
		name string
		in   functions.VoiceSettings
		want functions.VoiceSettings
	}{
		{"none", functions.VoiceSettings{}, functions.VoiceSettings{}},
		{"with a secret", functions.VoiceSettings{StateTTLS: 60, StateMaxBytes: 1024, SigningScheme: "twilio", SigningSecret: "s3"},
			functions.VoiceSettings{StateTTLS: 60, StateMaxBytes: 1024, SigningScheme: "twilio", SigningSecret: "s3", SecretSet: true}},
		{"no secret", functions.VoiceSettings{SigningScheme: "hmac-sha256", SecretSet: true},
			functions.VoiceSettings{SigningScheme: "hmac-sha256"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := EncodeVoice(tt.in)
			got, err := DecodeVoice(text)
			if err != nil || got != tt.want {
				t.Errorf("DecodeVoice(EncodeVoice(%+v)) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
	if !strings.Contains(EncodeVoice(functions.VoiceSettings{SigningSecret: "k"}), `"signing_secret":"k"`) {
		t.Error("the voice column does not keep the signing secret")
	}
	if _, err := DecodeVoice("{"); err == nil {
		t.Error("DecodeVoice of broken JSON: no error")
	}
}

func TestScanVersion(t *testing.T) {
	row := func(env string) fakeRow {
		return fakeRow{"fn_1", 2, "js", []byte("src"), []byte("code"), "h", env, 1000, 64, int64(1_700_000_000_000)}
	}
	tests := []struct {
		name    string
		row     Scanner
		wantEnv []functions.EnvVar
		wantErr string
	}{
		{"empty env", row("[]"), []functions.EnvVar{}, ""},
		{"env", row(`[{"name":"A","value":"1"}]`), []functions.EnvVar{{Name: "A", Value: "1"}}, ""},
		{"broken env", row(`[{`), nil, "env of fn_1 version 2"},
		{"no row", errRow{errors.New("no rows")}, nil, "no rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := ScanVersion(tt.row)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := functions.Version{FunctionID: "fn_1", Number: 2, Type: "js", Source: "src", Code: "code", Hash: "h",
				Env: tt.wantEnv, TimeoutMS: 1000, MemoryMB: 64, CreatedAt: time.UnixMilli(1_700_000_000_000).UTC()}
			if !reflect.DeepEqual(v, want) {
				t.Errorf("ScanVersion = %+v, want %+v", v, want)
			}
		})
	}
}

func TestScanQueued(t *testing.T) {
	row := func(headers, errs string, result []byte, lease int64) fakeRow {
		return fakeRow{"r1", "t", "fn_1", "default", []byte(`{"a":1}`), headers, "", "", "running", 1,
			3, errs, "tok", lease, int64(0), 0, result, "", int64(1000), int64(2000), int64(0), "", 0}
	}
	tests := []struct {
		name       string
		row        fakeRow
		wantResult bool
		wantLease  time.Time
		wantErr    string
	}{
		{"no result, no lease", row(`{"x":"y"}`, "[]", nil, 0), false, time.Time{}, ""},
		{"empty result is none", row(`{}`, "[]", []byte{}, 0), false, time.Time{}, ""},
		{"result and lease", row(`{}`, `[{"n":1,"at":"2026-01-01T00:00:00Z","error":"e"}]`, []byte(`{"ok":true}`), 5000), true, time.UnixMilli(5000).UTC(), ""},
		{"broken headers", row(`{`, "[]", nil, 0), false, time.Time{}, "headers of r1"},
		{"broken errors", row(`{}`, `[`, nil, 0), false, time.Time{}, "errors of r1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ScanQueued(tt.row)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if (r.Result != nil) != tt.wantResult {
				t.Errorf("Result = %q, want one: %v", r.Result, tt.wantResult)
			}
			if !r.LeaseUntil.Equal(tt.wantLease) || !r.FinishedAt.IsZero() || !r.NextAt.IsZero() {
				t.Errorf("LeaseUntil %v FinishedAt %v NextAt %v; want lease %v and no others", r.LeaseUntil, r.FinishedAt, r.NextAt, tt.wantLease)
			}
			if r.State != queue.Running || string(r.Data) != `{"a":1}` || !r.EnqueuedAt.Equal(time.UnixMilli(1000)) || !r.StartedAt.Equal(time.UnixMilli(2000)) {
				t.Errorf("ScanQueued = %+v", r)
			}
		})
	}
}

func TestScanKeyOptionalTimes(t *testing.T) {
	k, err := ScanKey(fakeRow{"k1", "t", "ci", "hash", `["functions:read"]`, int64(10), int64(0), int64(20)})
	if err != nil {
		t.Fatal(err)
	}
	if k.LastUsedAt != nil || k.RevokedAt == nil || !k.RevokedAt.Equal(time.UnixMilli(20)) || !reflect.DeepEqual(k.Scopes, []string{"functions:read"}) {
		t.Errorf("ScanKey = %+v", k)
	}
}

func TestScanAssignmentRefusesBadAction(t *testing.T) {
	_, err := ScanAssignment(fakeRow{"t", "number", "+15550100", "fn_1", 500, "nonsense", int64(1), int64(2)})
	if err == nil || !strings.Contains(err.Error(), "stored timeout action") {
		t.Errorf("error = %v, want a stored timeout action error", err)
	}
}

func TestTriggerOrHTTP(t *testing.T) {
	if got := TriggerOrHTTP(""); got != functions.TriggerHTTP {
		t.Errorf("TriggerOrHTTP(\"\") = %q", got)
	}
	if got := TriggerOrHTTP(functions.Trigger("schedule")); got != "schedule" {
		t.Errorf("TriggerOrHTTP(schedule) = %q", got)
	}
}

func TestNewToken(t *testing.T) {
	a, b := NewToken(), NewToken()
	if len(a) != 24 || a == b {
		t.Errorf("tokens %q, %q: want 24 hex digits, distinct", a, b)
	}
}

func TestMakeVersionCopiesEnv(t *testing.T) {
	env := []functions.EnvVar{{Name: "A", Value: "1"}}
	now := time.UnixMilli(42).UTC()
	v, err := MakeVersion("fn_1", 3, functions.NewVersion{Type: "js", Source: "s", Env: env}, now)
	if err != nil {
		t.Fatal(err)
	}
	env[0].Value = "changed"
	if v.Env[0].Value != "1" || v.EnvJSON != `[{"name":"A","value":"1","flag":""}]` || v.Number != 3 || !v.CreatedAt.Equal(now) {
		t.Errorf("MakeVersion = %+v", v)
	}
	if v, _ := MakeVersion("fn_1", 1, functions.NewVersion{}, now); v.EnvJSON != "[]" || v.Env == nil {
		t.Errorf("no env: EnvJSON %q, Env %#v; want [] and an empty slice", v.EnvJSON, v.Env)
	}
}

func TestNewFunction(t *testing.T) {
	now := time.UnixMilli(7).UTC()
	tests := []struct {
		name     string
		set      functions.Settings
		wantAuth functions.AuthMode
	}{
		{"public unless set", functions.Settings{}, functions.AuthPublic},
		{"auth kept", functions.Settings{Auth: functions.AuthMode("key")}, functions.AuthMode("key")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, limits, err := NewFunction("t1", "hello", tt.set, now)
			if err != nil {
				t.Fatal(err)
			}
			if f.Auth != tt.wantAuth || f.Tenant != "t1" || f.Name != "hello" || f.LiveVersion != 1 || f.LatestVersion != 1 ||
				!strings.HasPrefix(f.ID, "fn_") || f.UUID == "" || !f.CreatedAt.Equal(now) || !f.UpdatedAt.Equal(now) {
				t.Errorf("NewFunction = %+v", f)
			}
			var back functions.UsageLimits
			if err := DecodeObject(limits, &back); err != nil || back != tt.set.Limits {
				t.Errorf("limits column %q decodes to %+v, %v; want %+v", limits, back, err, tt.set.Limits)
			}
		})
	}
	a, _, _ := NewFunction("t", "a", functions.Settings{}, now)
	b, _, _ := NewFunction("t", "b", functions.Settings{}, now)
	if a.ID == b.ID || a.UUID == b.UUID {
		t.Errorf("two functions share an id or UUID: %s/%s, %s/%s", a.ID, a.UUID, b.ID, b.UUID)
	}
}

func TestNewQueued(t *testing.T) {
	stamped := time.UnixMilli(5000).UTC()
	given := time.UnixMilli(9000).UTC()
	tests := []struct {
		name        string
		in          queue.Run
		wantAt      time.Time
		wantData    string
		wantMax     int
		wantHeaders string
	}{
		{"defaults", queue.Run{ID: "r1"}, stamped, "{}", 1, "null"},
		{"kept", queue.Run{ID: "r2", Data: json.RawMessage(`[1]`), EnqueuedAt: given, MaxAttempts: 4, Headers: map[string]string{"a": "b"}},
			given, "[1]", 4, `{"a":"b"}`},
		{"reset", queue.Run{ID: "r3", State: queue.Dead, Attempts: 3, Errors: []queue.Attempt{{N: 1}}, MaxAttempts: -2}, stamped, "{}", 1, "null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, headers, err := NewQueued(tt.in, func() time.Time { return stamped })
			if err != nil {
				t.Fatal(err)
			}
			if r.State != queue.Queued || r.Attempts != 0 || r.Errors != nil || r.MaxAttempts != tt.wantMax ||
				!r.EnqueuedAt.Equal(tt.wantAt) || !r.NextAt.Equal(tt.wantAt) || string(r.Data) != tt.wantData || headers != tt.wantHeaders {
				t.Errorf("NewQueued = %+v, headers %q", r, headers)
			}
		})
	}
}

func TestClaimed(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 678_900_000, time.UTC)
	r := Claimed(queue.Run{ID: "r", State: queue.Queued, Attempts: 1, Token: "old"}, now, 30*time.Second)
	if r.State != queue.Running || r.Attempts != 2 || r.Token == "old" || len(r.Token) != 24 {
		t.Errorf("Claimed = %+v", r)
	}
	if !r.StartedAt.Equal(now.Truncate(time.Millisecond)) || !r.LeaseUntil.Equal(now.Add(30*time.Second).Truncate(time.Millisecond)) {
		t.Errorf("StartedAt %v LeaseUntil %v: want them at millisecond precision", r.StartedAt, r.LeaseUntil)
	}
}

func TestCheckKVQuota(t *testing.T) {
	q := functions.KVQuota{MaxKeys: 2, MaxBytes: 100}
	tests := []struct {
		name        string
		keys, bytes int64
		newKey      bool
		grow        int64
		wantErr     bool
	}{
		{"room for a key", 1, 10, true, 10, false},
		{"no room for a key", 2, 10, true, 10, true},
		{"replacing at the key limit", 2, 10, false, 10, false},
		{"exactly the byte limit", 1, 90, false, 10, false},
		{"one byte over", 1, 90, false, 11, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckKVQuota(q, tt.keys, tt.bytes, tt.newKey, tt.grow)
			if (err != nil) != tt.wantErr || err != nil && !errors.Is(err, functions.ErrKVQuota) {
				t.Errorf("CheckKVQuota = %v, want error %v (ErrKVQuota)", err, tt.wantErr)
			}
		})
	}
}

func TestKVExpiryAndScan(t *testing.T) {
	now := time.UnixMilli(1000).UTC()
	if got := KVExpiry(now, 0); got != 0 {
		t.Errorf("KVExpiry without ttl = %d, want 0 (never)", got)
	}
	if got := KVExpiry(now, 2*time.Second); got != 3000 {
		t.Errorf("KVExpiry(1s, 2s) = %d, want 3000", got)
	}
	k, err := ScanKVKey(fakeRow{"a", int64(0)})
	if err != nil || k.Name != "a" || !k.ExpiresAt.IsZero() {
		t.Errorf("ScanKVKey without expiry = %+v, %v", k, err)
	}
	k, err = ScanKVKey(fakeRow{"b", int64(3000)})
	if err != nil || !k.ExpiresAt.Equal(time.UnixMilli(3000)) {
		t.Errorf("ScanKVKey with expiry = %+v, %v", k, err)
	}
}

func TestNewKeyRow(t *testing.T) {
	now := func() time.Time { return time.UnixMilli(500) }
	tests := []struct {
		name        string
		k           auth.Key
		wantCreated int64
		wantScopes  string
		wantErr     string
	}{
		{"no id", auth.Key{Hash: "h"}, 0, "", "id and hash are required"},
		{"no hash", auth.Key{ID: "k"}, 0, "", "id and hash are required"},
		{"now when unset", auth.Key{ID: "k", Hash: "h"}, 500, "[]", ""},
		{"given time and scopes", auth.Key{ID: "k", Hash: "h", CreatedAt: time.UnixMilli(42), Scopes: []string{"a"}}, 42, `["a"]`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created, scopes, err := NewKeyRow(tt.k, now)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || created != tt.wantCreated || scopes != tt.wantScopes {
				t.Errorf("NewKeyRow = %d, %q, %v; want %d, %q", created, scopes, err, tt.wantCreated, tt.wantScopes)
			}
		})
	}
}
