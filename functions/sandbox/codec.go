package sandbox

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/scriptforge/scriptforge/functions"
)

// The binary encoding of frames. A frame's payload is a kind byte, the
// request id as a uvarint, then the kind's fields in a fixed order:
// integers as varints, floats as 8 little-endian bytes, strings and byte
// strings as a uvarint length and the bytes. A byte string, slice or map
// that may be nil is written as its length plus one, 0 meaning nil, so
// that nil and empty cross the pipe as they are. Data, results and
// bodies are copied as they are: nothing is encoded twice.
//
// Each field of the payload types is named here (the version record's in
// versions.go), once for each direction; TestCodecRoundTrip fills every
// field by reflection, so a field added to one of them and not here fails
// that test.

// Frame kinds: gateway to sandbox, then sandbox to gateway.
const (
	kindRun     byte = 1 // an invocation
	kindCancel  byte = 2 // stop the run with this id
	kindKVReply byte = 3 // the answer to a kv call of the run

	kindResult byte = 16 // the run's result
	kindError  byte = 17 // the run's error
	kindNeed   byte = 18 // the sandbox lacks the code or the version record: send them
	kindKVCall byte = 19 // a kv call of the run in progress
	kindLog    byte = 21 // a console line of the run in progress (live runs only)

	// liveLogs, set on the kind of a run or chain frame, asks the sandbox
	// to send each console line as a kindLog frame while the run goes on
	// (Invocation.OnLog). A bit of the kind, not a flag, because the run
	// flags are all taken; plain runs send the kind as before.
	liveLogs byte = 0x40
	// withTrigger, set on the kind of a run frame, says that
	// Invocation.Trigger (ctx.trigger) follows the context. A bit of the
	// kind for the same reason as liveLogs; calls over HTTP leave the
	// trigger empty and send the frame as before.
	withTrigger byte = 0x80

	// kindChain (4) and kindChainDone (20), a chain of runs in one frame
	// and its answer, are in chain.go.
)

// Flags of a kindRun frame and of a kindNeed answer.
const (
	withCode    byte = 1 // the code travels in this frame / is wanted
	withVersion byte = 2 // the version record travels in this frame / is wanted
	// freshRuntime (run frames only): Invocation.FreshRuntime. A setting
	// of the function, not of a version, so it travels with every call.
	freshRuntime byte = 4
	// prepare (run frames only): Invocation.Prepare, compile and nothing else.
	prepare byte = 8
	// withBody (run frames only): the request's raw body follows its IP
	// (form requests, for ctx.request.formData()).
	withBody byte = 16
	// withCall (run frames only): Invocation.Call follows the claims (a
	// voice webhook: the call id, its state and the state's bound).
	withCall byte = 32
	// withDeadline (run frames only): Invocation.Deadline, in unix
	// nanoseconds after the call (a routing chain's; ctx.deadline).
	withDeadline byte = 64
	// withTrace (run frames only): Invocation.Trace, its traceparent and
	// tracestate, follows the deadline.
	withTrace byte = 128
)

var errMalformed = errors.New("sandbox: malformed frame")

// enc appends a payload to a buffer.
type enc struct{ b []byte }

func (e *enc) byte(v byte)      { e.b = append(e.b, v) }
func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) int(v int)        { e.varint(int64(v)) }
func (e *enc) float(v float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) str(s string)     { e.uvarint(uint64(len(s))); e.b = append(e.b, s...) }
func (e *enc) time(t time.Time) { e.varint(t.Unix()); e.uvarint(uint64(t.Nanosecond())) }
func (e *enc) count(n int, isNil bool) {
	if isNil {
		e.uvarint(0)
		return
	}
	e.uvarint(uint64(n) + 1)
}

func (e *enc) bool(v bool) {
	if v {
		e.byte(1)
	} else {
		e.byte(0)
	}
}

func (e *enc) bytes(b []byte) {
	e.count(len(b), b == nil)
	e.b = append(e.b, b...)
}

func (e *enc) strMap(m map[string]string) {
	e.count(len(m), m == nil)
	for k, v := range m {
		e.str(k)
		e.str(v)
	}
}

func (e *enc) logs(ls []functions.LogLine) {
	e.count(len(ls), ls == nil)
	for _, l := range ls {
		e.time(l.Time)
		e.str(l.Level)
		e.str(l.Message)
	}
}

// dec reads a payload. The first error sticks and ends the reading: every
// later read returns a zero value, so decoders check d.err once, at the end.
//
// Strings point into the payload instead of being copied (one allocation
// per frame instead of one per string): a payload must not be written to
// once decoded, and what is kept longer than the run (a version record)
// is copied out.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail() {
	if d.err == nil {
		d.err = errMalformed
	}
	d.b = nil
}

func (d *dec) byte() byte {
	if len(d.b) == 0 {
		d.fail()
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *dec) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail()
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) int() int {
	v := d.varint()
	if int64(int(v)) != v {
		d.fail()
		return 0
	}
	return int(v)
}

func (d *dec) bool() bool {
	switch d.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail()
	return false
}

func (d *dec) float() float64 {
	if len(d.b) < 8 {
		d.fail()
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b))
	d.b = d.b[8:]
	return v
}

// take returns the next n bytes.
func (d *dec) take(n uint64) []byte {
	if n > uint64(len(d.b)) {
		d.fail()
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) str() string {
	b := d.take(d.uvarint())
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func (d *dec) time() time.Time {
	sec, nsec := d.varint(), d.uvarint()
	if nsec >= 1e9 {
		d.fail()
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// count reads a length written by enc.count. Every element takes at least
// one byte, so a count beyond what is left is a lie, refused before it
// can size an allocation.
func (d *dec) count() (n int, isNil bool) {
	v := d.uvarint()
	if v == 0 {
		return 0, true
	}
	if v-1 > uint64(len(d.b)) {
		d.fail()
		return 0, true
	}
	return int(v - 1), false
}

func (d *dec) bytes() []byte {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	return d.take(uint64(n))
}

func (d *dec) strMap() map[string]string {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	m := make(map[string]string, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.str()
		m[k] = d.str()
	}
	return m
}

func (d *dec) logs() []functions.LogLine {
	n, isNil := d.count()
	if isNil {
		return nil
	}
	ls := make([]functions.LogLine, n)
	for i := range ls {
		ls[i] = functions.LogLine{Time: d.time(), Level: d.str(), Message: d.str()}
		if d.err != nil {
			return nil
		}
	}
	return ls
}

// end checks that the payload was read to its last byte.
func (d *dec) end() error {
	if d.err == nil && len(d.b) != 0 {
		d.fail()
	}
	return d.err
}

// appendRun encodes an invocation. ver is the sandbox's id of inv's
// version record; flags say whether the record and the code travel with it.
func appendRun(b []byte, id uint64, inv *functions.Invocation, ver uint64, flags byte) ([]byte, error) {
	e := enc{b}
	kind := kindRun | liveKind(inv.OnLog != nil)
	if inv.Trigger != "" {
		kind |= withTrigger
	}
	e.byte(kind)
	e.uvarint(id)
	if inv.FreshRuntime {
		flags |= freshRuntime
	}
	if inv.Prepare {
		flags |= prepare
	}
	flags |= contextFlags(inv)
	e.byte(flags)
	e.uvarint(ver)
	if flags&withVersion != 0 {
		e.version(inv)
	}
	if flags&withCode != 0 {
		e.str(inv.Code)
	}
	e.str(inv.RequestID)
	e.str(inv.Export)
	e.bytes(inv.Data)
	if err := e.context(inv, flags); err != nil {
		return b, err
	}
	if inv.Trigger != "" {
		e.str(string(inv.Trigger))
	}
	return e.b, nil
}

// liveKind is the liveLogs bit when live is set.
func liveKind(live bool) byte {
	if live {
		return liveLogs
	}
	return 0
}

// contextFlags are the flags of inv's context: what of it follows.
func contextFlags(inv *functions.Invocation) byte {
	var flags byte
	if inv.Request.Body != nil {
		flags |= withBody
	}
	if inv.Call != nil {
		flags |= withCall
	}
	if !inv.Deadline.IsZero() {
		flags |= withDeadline
	}
	if inv.Trace != (functions.TraceContext{}) {
		flags |= withTrace
	}
	return flags
}

// context encodes what a run knows of its call besides its data: the
// request, the claims, the voice call and the deadline (flags say which
// of the optional ones follow).
func (e *enc) context(inv *functions.Invocation, flags byte) error {
	r := &inv.Request
	e.str(r.Method)
	e.str(r.URL)
	e.str(r.Path)
	e.count(len(r.Query), r.Query == nil)
	for k, vs := range r.Query {
		e.str(k)
		e.count(len(vs), vs == nil)
		for _, v := range vs {
			e.str(v)
		}
	}
	e.strMap(r.Headers)
	e.str(r.IP)
	if flags&withBody != 0 {
		e.bytes(r.Body)
	}
	if err := e.claims(inv.Auth); err != nil {
		return err
	}
	if c := inv.Call; c != nil {
		e.str(c.ID)
		e.bytes(c.State)
		e.int(c.MaxStateBytes)
	}
	if flags&withDeadline != 0 {
		e.varint(inv.Deadline.UnixNano())
	}
	if flags&withTrace != 0 {
		e.str(inv.Trace.Parent)
		e.str(inv.Trace.State)
	}
	return nil
}

// context reads what enc.context wrote into inv.
func (d *dec) context(inv *functions.Invocation, flags byte) {
	r := &inv.Request
	r.Method = d.str()
	r.URL = d.str()
	r.Path = d.str()
	if n, isNil := d.count(); !isNil {
		r.Query = make(map[string][]string, n)
		for i := 0; i < n && d.err == nil; i++ {
			k := d.str()
			m, isNil := d.count()
			var vs []string
			if !isNil {
				vs = make([]string, m)
				for j := range vs {
					vs[j] = d.str()
				}
			}
			r.Query[k] = vs
		}
	}
	r.Headers = d.strMap()
	r.IP = d.str()
	if flags&withBody != 0 {
		if r.Body = d.bytes(); r.Body == nil {
			r.Body = []byte{}
		}
	}
	inv.Auth = d.claims()
	if flags&withCall != 0 {
		inv.Call = &functions.CallInfo{ID: d.str(), State: d.bytes(), MaxStateBytes: d.int()}
	}
	if flags&withDeadline != 0 {
		inv.Deadline = time.Unix(0, d.varint()).UTC()
	}
	if flags&withTrace != 0 {
		inv.Trace = functions.TraceContext{Parent: d.str(), State: d.str()}
	}
}

// decodeRequest reads a frame from the gateway. A run frame that carries
// a version record stores it in versions; one that names a record the
// sandbox does not hold comes back with unknownVersion set and no Inv.
func decodeRequest(b []byte, versions *versionTable) (req request, err error) {
	d := dec{b: b}
	kind := d.byte()
	trigger := kind&withTrigger != 0 && kind&^(withTrigger|liveLogs) == kindRun
	if trigger {
		kind &^= withTrigger
	}
	if k := kind &^ liveLogs; kind&liveLogs != 0 && (k == kindRun || k == kindChain) {
		kind = k
		defer func() { req.Live = req.Inv != nil || req.Chain != nil }()
	}
	req = request{ID: d.uvarint()}
	switch kind {
	case kindCancel:
		req.Cancel = true
	case kindKVReply:
		req.KVReply = &kvReply{Call: d.uvarint(), Reply: d.kvReply()}
	case kindRun:
		flags := d.byte()
		if flags&^(withCode|withVersion|freshRuntime|prepare|withBody|withCall|withDeadline|withTrace) != 0 {
			d.fail()
		}
		ver := d.uvarint()
		var rec *versionRecord
		if flags&withVersion != 0 {
			if rec = d.version(); d.err == nil {
				versions.put(ver, rec)
			}
		} else if rec = versions.get(ver); rec == nil && d.err == nil {
			req.unknownVersion = true
			return req, nil
		}
		inv := &functions.Invocation{FreshRuntime: flags&freshRuntime != 0, Prepare: flags&prepare != 0}
		if flags&withCode != 0 {
			inv.Code = d.str()
		}
		inv.RequestID = d.str()
		inv.Export = d.str()
		inv.Data = d.bytes()
		d.context(inv, flags)
		if trigger {
			inv.Trigger = functions.Trigger(d.str())
		}
		if d.err == nil {
			rec.apply(inv)
			req.Inv = inv
		}
	case kindChain:
		req.Chain = d.chain(versions)
	default:
		d.fail()
	}
	if err := d.end(); err != nil {
		return request{}, err
	}
	return req, nil
}

func appendCancel(b []byte, id uint64) []byte {
	e := enc{b}
	e.byte(kindCancel)
	e.uvarint(id)
	return e.b
}

func appendKVReply(b []byte, id uint64, r *kvReply) []byte {
	e := enc{b}
	e.byte(kindKVReply)
	e.uvarint(id)
	e.uvarint(r.Call)
	rep := &r.Reply
	e.bytes(rep.Value)
	e.float(rep.Number)
	e.bool(rep.OK)
	e.count(len(rep.Keys), rep.Keys == nil)
	for _, k := range rep.Keys {
		e.str(k.Name)
		e.varint(k.Expiration)
	}
	e.str(rep.Cursor)
	e.bool(rep.Complete)
	e.str(rep.Code)
	e.str(rep.Error)
	return e.b
}

func (d *dec) kvReply() functions.KVReply {
	var rep functions.KVReply
	rep.Value = d.bytes()
	rep.Number = d.float()
	rep.OK = d.bool()
	if n, isNil := d.count(); !isNil {
		rep.Keys = make([]functions.KVListKey, n)
		for i := range rep.Keys {
			rep.Keys[i] = functions.KVListKey{Name: d.str(), Expiration: d.varint()}
			if d.err != nil {
				return rep
			}
		}
	}
	rep.Cursor = d.str()
	rep.Complete = d.bool()
	rep.Code = d.str()
	rep.Error = d.str()
	return rep
}

// appendResponse encodes a sandbox's answer or kv call.
func appendResponse(b []byte, resp *response) []byte {
	e := enc{b}
	switch {
	case resp.Stats != nil:
		e.byte(kindStats)
		e.uvarint(resp.ID)
		e.stats(resp.Stats)
	case resp.Log != nil:
		e.byte(kindLog)
		e.uvarint(resp.ID)
		e.uvarint(uint64(resp.Log.Step))
		e.time(resp.Log.Line.Time)
		e.str(resp.Log.Line.Level)
		e.str(resp.Log.Line.Message)
	case resp.KV != nil:
		e.byte(kindKVCall)
		e.uvarint(resp.ID)
		e.uvarint(resp.KV.Call)
		op := &resp.KV.Op
		e.str(op.Op)
		e.str(op.Key)
		e.bytes(op.Value)
		e.varint(int64(op.TTL))
		e.float(op.By)
		e.str(op.Prefix)
		e.str(op.Cursor)
		e.int(op.Limit)
	case resp.need() != 0:
		e.byte(kindNeed)
		e.uvarint(resp.ID)
		e.byte(resp.need())
	case resp.Chain != nil:
		e.byte(kindChainDone)
		e.uvarint(resp.ID)
		e.chainSteps(resp.Chain)
	case resp.Err != nil:
		e.byte(kindError)
		e.uvarint(resp.ID)
		e.runError(resp.Err)
	default:
		res := resp.Result
		if res == nil {
			res = &functions.Result{}
		}
		e.byte(kindResult)
		e.uvarint(resp.ID)
		e.result(res)
	}
	return e.b
}

func (e *enc) runError(re *functions.RunError) {
	e.int(re.Status)
	e.str(re.Code)
	e.int(re.SIPCode)
	e.str(re.Message)
	e.str(re.Stack)
	e.logs(re.Logs)
	e.varint(int64(re.CPU))
}

func (d *dec) runError() *functions.RunError {
	re := &functions.RunError{}
	re.Status = d.int()
	re.Code = d.str()
	re.SIPCode = d.int()
	re.Message = d.str()
	re.Stack = d.str()
	re.Logs = d.logs()
	re.CPU = time.Duration(d.varint())
	return re
}

func (e *enc) result(res *functions.Result) {
	e.bytes(res.JSON)
	if r := res.Response; r == nil {
		e.bool(false)
	} else {
		e.bool(true)
		e.int(r.Status)
		e.strMap(r.Headers)
		e.bytes(r.Body)
	}
	e.logs(res.Logs)
	e.varint(int64(res.Duration))
	e.varint(int64(res.CPU))
	e.bytes(res.CallState)
	e.count(len(res.Fetches), res.Fetches == nil)
	for _, f := range res.Fetches {
		e.str(f.SpanID)
		e.str(f.Method)
		e.str(f.Host)
		e.time(f.Start)
		e.varint(int64(f.Duration))
		e.int(f.Status)
		e.str(f.Error)
	}
}

func (d *dec) result() *functions.Result {
	res := &functions.Result{}
	res.JSON = d.bytes()
	if d.bool() {
		r := &functions.HTTPResponse{}
		r.Status = d.int()
		r.Headers = d.strMap()
		r.Body = d.bytes()
		res.Response = r
	}
	res.Logs = d.logs()
	res.Duration = time.Duration(d.varint())
	res.CPU = time.Duration(d.varint())
	res.CallState = d.bytes()
	if n, isNil := d.count(); !isNil {
		res.Fetches = make([]functions.FetchSpan, n)
		for i := range res.Fetches {
			f := &res.Fetches[i]
			f.SpanID, f.Method, f.Host = d.str(), d.str(), d.str()
			f.Start = d.time()
			f.Duration = time.Duration(d.varint())
			f.Status = d.int()
			f.Error = d.str()
			if d.err != nil {
				break
			}
		}
	}
	return res
}

// decodeResponse reads a frame from a sandbox.
func decodeResponse(b []byte) (response, error) {
	d := dec{b: b}
	kind := d.byte()
	resp := response{ID: d.uvarint()}
	switch kind {
	case kindLog:
		l := &logFrame{}
		if step := d.uvarint(); step < 1<<16 {
			l.Step = int(step)
		} else {
			d.fail()
		}
		l.Line = functions.LogLine{Time: d.time(), Level: d.str(), Message: d.str()}
		resp.Log = l
	case kindKVCall:
		call := &kvCall{Call: d.uvarint()}
		op := &call.Op
		op.Op = d.str()
		op.Key = d.str()
		op.Value = d.bytes()
		op.TTL = time.Duration(d.varint())
		op.By = d.float()
		op.Prefix = d.str()
		op.Cursor = d.str()
		op.Limit = d.int()
		resp.KV = call
	case kindNeed:
		flags := d.byte()
		if flags == 0 || flags&^(withCode|withVersion) != 0 {
			d.fail()
		}
		resp.NeedCode, resp.NeedVersion = flags&withCode != 0, flags&withVersion != 0
	case kindError:
		resp.Err = d.runError()
	case kindResult:
		resp.Result = d.result()
	case kindChainDone:
		resp.Chain = d.chainSteps()
	case kindStats:
		resp.Stats = d.stats()
	default:
		d.fail()
	}
	if err := d.end(); err != nil {
		return response{}, err
	}
	return resp, nil
}

// How claims cross: none; as JSON; or, when every value is a string or a
// list of strings (an API key's claims, on every routing call), as such,
// which spares a JSON encoding and decoding per call.
const (
	claimsNone   byte = 0
	claimsJSON   byte = 1
	claimsSimple byte = 2
)

func (e *enc) claims(m map[string]any) error {
	if m == nil {
		e.byte(claimsNone)
		return nil
	}
	if !simpleClaims(m) {
		b, err := json.Marshal(m)
		if err != nil {
			return err
		}
		e.byte(claimsJSON)
		e.bytes(b)
		return nil
	}
	e.byte(claimsSimple)
	e.uvarint(uint64(len(m)))
	for k, v := range m {
		e.str(k)
		switch v := v.(type) {
		case string:
			e.byte(0)
			e.str(v)
		case []string:
			e.byte(1)
			e.uvarint(uint64(len(v)))
			for _, s := range v {
				e.str(s)
			}
		case []any:
			e.byte(1)
			e.uvarint(uint64(len(v)))
			for _, s := range v {
				e.str(s.(string))
			}
		}
	}
	return nil
}

// simpleClaims: every value is a string or a list of strings, all valid
// UTF-8 (JSON would have replaced invalid bytes: the two ways must agree).
func simpleClaims(m map[string]any) bool {
	for k, v := range m {
		if !utf8.ValidString(k) {
			return false
		}
		switch v := v.(type) {
		case string:
			if !utf8.ValidString(v) {
				return false
			}
		case []string:
			if v == nil {
				return false // null in JSON
			}
			for _, s := range v {
				if !utf8.ValidString(s) {
					return false
				}
			}
		case []any:
			if v == nil {
				return false
			}
			for _, s := range v {
				if s, ok := s.(string); !ok || !utf8.ValidString(s) {
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// claims reads what enc.claims wrote, as JSON would have decoded it: a
// list of strings is a []any.
func (d *dec) claims() map[string]any {
	switch d.byte() {
	case claimsNone:
		return nil
	case claimsJSON:
		var m map[string]any
		if b := d.bytes(); d.err == nil && (json.Unmarshal(b, &m) != nil || m == nil) {
			d.fail()
		}
		return m
	case claimsSimple:
		n := d.uvarint()
		if n > uint64(len(d.b)) {
			d.fail()
			return nil
		}
		m := make(map[string]any, n)
		str := func() string { // only what JSON could carry
			s := d.str()
			if !utf8.ValidString(s) {
				d.fail()
			}
			return s
		}
		for i := uint64(0); i < n && d.err == nil; i++ {
			k := str()
			switch d.byte() {
			case 0:
				m[k] = str()
			case 1:
				c := d.uvarint()
				if c > uint64(len(d.b)) {
					d.fail()
					return nil
				}
				list := make([]any, c)
				for j := range list {
					list[j] = str()
				}
				m[k] = list
			default:
				d.fail()
			}
		}
		if d.err != nil {
			return nil
		}
		return m
	}
	d.fail()
	return nil
}
