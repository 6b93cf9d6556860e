package functions

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestKVValidation(t *testing.T) {
	for key, ok := range map[string]bool{"a": true, "user:1/name": true, "ключ": true, "": false,
		strings.Repeat("k", 512): true, strings.Repeat("k", 513): false, "\xff\xfe": false} {
		if (ValidateKVKey(key) == nil) != ok {
			t.Errorf("key %q: valid=%v", key, !ok)
		}
	}
	for v, ok := range map[string]bool{`1`: true, `{"a":[1,2]}`: true, `"s"`: true, `{`: false, ``: false,
		`"` + strings.Repeat("x", 64<<10) + `"`: false} {
		if (ValidateKVValue(json.RawMessage(v)) == nil) != ok {
			t.Errorf("value %.20q: valid=%v", v, !ok)
		}
	}
	for ttl, ok := range map[time.Duration]bool{0: true, time.Second: true, time.Millisecond: false, -time.Second: false, 11 * 365 * 24 * time.Hour: false} {
		if (ValidateKVTTL(ttl) == nil) != ok {
			t.Errorf("ttl %v: valid=%v", ttl, !ok)
		}
	}
	if q := (KVQuota{}).WithDefaults(); q.MaxKeys != 10_000 || q.MaxBytes != 50<<20 {
		t.Fatalf("defaults: %+v", q)
	}
}
