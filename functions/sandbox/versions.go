package sandbox

import (
	"sync/atomic"

	"github.com/scriptforge/scriptforge/functions"
)

// Version records. What is the same for every call of a function version
// (its identity, type, hash, env, limits) crosses the pipe once per
// sandbox process: the gateway numbers each record it sends, the sandbox
// keeps it under that number, and later calls name the number alone. A
// sandbox that has evicted the record answers needVersion and the gateway
// sends it again; a new sandbox process starts with an empty table on
// both sides, so nothing outlives a restart.

// sentVersion is the gateway's note of a record sent to one sandbox.
type sentVersion struct {
	id  uint64
	rec *versionRecord
	// confirmed is set once the sandbox has answered a frame that carried
	// the record: until then, a call that names it alone could overtake
	// the frame that carries it.
	confirmed atomic.Bool
}

// versionKey is the gateway's key of a record: one function's code. The
// record's other fields are compared on every hit, so an env or a name
// changed without a new hash still gets a record of its own.
type versionKey struct{ function, hash string }

func keyOf(inv *functions.Invocation) versionKey { return versionKey{inv.Function.ID, inv.Hash} }

// versionTable is the sandbox's side: records by number, bounded in count
// and bytes, the oldest evicted first. Only the serve loop touches it.
type versionTable struct {
	recs  map[uint64]*versionRecord
	order []uint64 // insertion order, for eviction
	bytes int
}

const (
	maxVersions     = 1024
	maxVersionBytes = 8 << 20
)

func newVersionTable() *versionTable { return &versionTable{recs: map[uint64]*versionRecord{}} }

func (t *versionTable) get(id uint64) *versionRecord { return t.recs[id] }

func (t *versionTable) put(id uint64, rec *versionRecord) {
	if old := t.recs[id]; old != nil {
		t.bytes -= old.size()
	} else {
		t.order = append(t.order, id)
	}
	t.recs[id] = rec
	t.bytes += rec.size()
	for len(t.order) > 1 && (len(t.recs) > maxVersions || t.bytes > maxVersionBytes) {
		oldest := t.order[0]
		t.order = t.order[1:]
		if r := t.recs[oldest]; r != nil {
			t.bytes -= r.size()
			delete(t.recs, oldest)
		}
	}
}
