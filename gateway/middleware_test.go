package gateway

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

// Request ids are RFC 9562 version-7 UUIDs of the current millisecond,
// in canonical form, distinct, and ordered across milliseconds.
func TestNewRequestID(t *testing.T) {
	seen := map[string]bool{}
	var last string
	for i := range 2000 {
		before := time.Now().UnixMilli()
		id := newRequestID()
		after := time.Now().UnixMilli()
		u, err := uuid.Parse(id)
		if err != nil || u.String() != id {
			t.Fatalf("%q is not a canonical UUID: %v", id, err)
		}
		if u.Version() != 7 || u.Variant() != uuid.RFC4122 {
			t.Fatalf("%s: version %d variant %v", id, u.Version(), u.Variant())
		}
		sec, nsec := u.Time().UnixTime()
		if ms := sec*1000 + nsec/1e6; ms < before || ms > after {
			t.Fatalf("%s carries %d ms, not in [%d, %d]", id, ms, before, after)
		}
		if seen[id] {
			t.Fatalf("%s twice", id)
		}
		seen[id] = true
		if i > 0 && id[:13] < last[:13] {
			t.Fatalf("%s sorts before the earlier %s", id, last)
		}
		last = id
	}
}

func BenchmarkNewRequestID(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = newRequestID()
	}
}
