package sandbox

import (
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
)

// The sandbox's table stays within its count and bytes, evicting the
// oldest records first, and keeps the newest even when it alone is over.
func TestVersionTableBounds(t *testing.T) {
	big := func(kb int) *versionRecord {
		return &versionRecord{Env: []functions.EnvVar{{Name: "V", Value: strings.Repeat("x", kb<<10)}}}
	}
	for _, c := range []struct {
		name      string
		puts      int
		rec       func() *versionRecord
		wantFirst bool // is record 1 still there?
		wantCount int
	}{
		{"few small", 10, func() *versionRecord { return big(0) }, true, 10},
		{"more than the count", maxVersions + 5, func() *versionRecord { return big(0) }, false, maxVersions},
		{"more than the bytes", maxVersionBytes>>20 + 8, func() *versionRecord { return big(1 << 10) }, false, maxVersionBytes / (1<<20 + 200)},
		{"one over the bytes alone", 1, func() *versionRecord { return big(maxVersionBytes >> 10 * 3 / 2) }, true, 1},
	} {
		vt := newVersionTable()
		for i := 1; i <= c.puts; i++ {
			vt.put(uint64(i), c.rec())
		}
		if got := vt.get(1) != nil; got != c.wantFirst {
			t.Errorf("%s: first record kept: %v", c.name, got)
		}
		if vt.get(uint64(c.puts)) == nil {
			t.Errorf("%s: the newest record was evicted", c.name)
		}
		if len(vt.recs) != c.wantCount || len(vt.order) != c.wantCount {
			t.Errorf("%s: %d records, %d in order; want %d", c.name, len(vt.recs), len(vt.order), c.wantCount)
		}
	}
}
