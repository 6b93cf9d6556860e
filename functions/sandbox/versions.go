package sandbox

import (
	"slices"
	"strings"
	"sync/atomic"
	"time"

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
	maxVersions     = 16384
	maxVersionBytes = 32 << 20
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

// versionRecord is what stays the same across the calls of one function
// version: the sandbox keeps it, so that a call sends only its own part.
type versionRecord struct {
	Function functions.FunctionInfo
	Type     functions.Type
	Hash     string
	Env      []functions.EnvVar
	Timeout  time.Duration
	MemoryMB int
}

func (v *versionRecord) size() int {
	n := 128 + len(v.Function.ID) + len(v.Function.UUID) + len(v.Function.Name) + len(v.Function.Tenant) + len(v.Type) + len(v.Hash)
	for _, e := range v.Env {
		n += 48 + len(e.Name) + len(e.Value) + len(e.Flag)
	}
	return n
}

// matches reports whether inv belongs to the version v records.
func (v *versionRecord) matches(inv *functions.Invocation) bool {
	if v.Function != inv.Function || v.Type != inv.Type || v.Hash != inv.Hash ||
		v.Timeout != inv.Timeout || v.MemoryMB != inv.MemoryMB ||
		len(v.Env) != len(inv.Env) || (v.Env == nil) != (inv.Env == nil) {
		return false
	}
	for i := range v.Env {
		if v.Env[i] != inv.Env[i] {
			return false
		}
	}
	return true
}

// recordOf is the gateway's note of what it sends. The env is copied: a
// caller that changed its slice in place must not change the note too.
func recordOf(inv *functions.Invocation) *versionRecord {
	return &versionRecord{Function: inv.Function, Type: inv.Type, Hash: inv.Hash,
		Env: slices.Clone(inv.Env), Timeout: inv.Timeout, MemoryMB: inv.MemoryMB}
}

// version writes inv's version record; dec.version reads it.
func (e *enc) version(inv *functions.Invocation) {
	f := &inv.Function
	e.str(f.ID)
	e.str(f.UUID)
	e.str(f.Name)
	e.str(f.Tenant)
	e.int(f.Version)
	e.str(string(inv.Type))
	e.str(inv.Hash)
	e.count(len(inv.Env), inv.Env == nil)
	for _, v := range inv.Env {
		e.str(v.Name)
		e.str(v.Value)
		e.str(string(v.Flag))
	}
	e.varint(int64(inv.Timeout))
	e.int(inv.MemoryMB)
}

// version reads a version record, copied out of the payload: it outlives
// the frame.
func (d *dec) version() *versionRecord {
	str := func() string { return strings.Clone(d.str()) }
	v := &versionRecord{}
	v.Function.ID = str()
	v.Function.UUID = str()
	v.Function.Name = str()
	v.Function.Tenant = str()
	v.Function.Version = d.int()
	v.Type = functions.Type(str())
	v.Hash = str()
	if n, isNil := d.count(); !isNil {
		v.Env = make([]functions.EnvVar, n)
		for i := range v.Env {
			v.Env[i] = functions.EnvVar{Name: str(), Value: str(), Flag: functions.EnvFlag(str())}
			if d.err != nil {
				return nil
			}
		}
	}
	v.Timeout = time.Duration(d.varint())
	v.MemoryMB = d.int()
	return v
}

// apply gives inv the record's fields, shared by the version's runs,
// which only read them.
func (rec *versionRecord) apply(inv *functions.Invocation) {
	inv.Function, inv.Type, inv.Hash, inv.Env = rec.Function, rec.Type, rec.Hash, rec.Env
	inv.Timeout, inv.MemoryMB = rec.Timeout, rec.MemoryMB
}
