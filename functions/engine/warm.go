package engine

import (
	"container/list"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/scriptforge/scriptforge/functions"
)

// Warm runtimes. A fresh hardened runtime costs ~40 µs before the
// function's own code runs, and requiring a bundled library ~130 µs more;
// Workers reuses isolates and Lambda execution environments for the same
// reason. So, by default, a runtime that finished a call cleanly is kept
// and serves the next call of the same function version:
//
//   - A runtime belongs to one version of one function of one tenant
//     (warmKey); it never serves another, even one with identical code.
//   - Module scope runs once per runtime; globals persist. ctx and data
//     are new every call (beginCall), and ctx objects snapshot their call.
//   - It is thrown away after any call that was interrupted or hit a
//     limit (reusable), when a call of another version of its function
//     arrives (the live version changed), and after MaxCalls calls or
//     MaxAge. Idle runtimes are bounded by count and estimated bytes,
//     least recently used first out, and dropped first under heap pressure.
//     When the pool is full, a returning runtime takes the place of the
//     least recently used one only if its function was called more often
//     lately (admission), so that calls cycling over more functions than
//     fit still find some of them warm.
//   - A call's timers are cancelled and its asynchronous work (fetch, kv)
//     ends with it (guard); completions are delivered through a channel
//     of that call only (beginCall), so nothing reaches the next call.
//   - The guards are installed once, when the runtime is set up, and the
//     unguarded originals are never reachable from user code (lazyGlobal),
//     so reuse cannot remove them.
//
// Invocation.FreshRuntime (the function's fresh_runtime setting) opts out.

// WarmConfig bounds the warm runtimes of an engine. Zero values take the
// defaults noted; MaxRuntimes < 0 disables warm runtimes altogether.
type WarmConfig struct {
	// MaxRuntimes caps idle runtimes over all functions. Default 10,000:
	// MaxBytes is meant to be the bound that binds.
	MaxRuntimes int
	// MaxBytes caps the estimated memory of idle runtimes. Default 256 MiB.
	MaxBytes int64
	// MaxCalls is how many calls one runtime serves before it is replaced. Default 10,000.
	MaxCalls int
	// MaxAge is how long one runtime lives. Default 5 minutes.
	MaxAge time.Duration
}

// runtimeBaseBytes estimates the heap of an idle runtime after a trivial
// call: goja's realm with the builtins it built, our globals and guards.
// Each JavaScript library it loaded (console, Response, fetch…) adds
// libBytes, and its code codeBytesFactor per byte. Measured by
// TestWarmRuntimeFootprint.
const (
	runtimeBaseBytes = 40 << 10
	libBytes         = 48 << 10
	codeBytesFactor  = 2
)

// libWeights are the libraries that hold much more than libBytes: the
// streams polyfill's classes and closures (measured: ~330 KiB more).
var libWeights = map[string]int64{"streams": 330 << 10}

// runtimeBytes estimates what r holds, with the libraries it has loaded so far.
func runtimeBytes(r *run, codeLen int) int64 {
	bytes := runtimeBaseBytes + int64(codeLen)*codeBytesFactor
	for name := range r.libs {
		bytes += libBytes + libWeights[name]
	}
	return bytes
}

// warmKey names what a runtime may serve: one version of one function of
// one tenant. The hash is there too, so a version number reused after a
// function is deleted and created again cannot match old code.
type warmKey struct {
	tenant, function string
	version          int
	hash             string
}

func warmKeyOf(inv *functions.Invocation) warmKey {
	f := inv.Function
	return warmKey{tenant: f.Tenant, function: f.ID, version: f.Version, hash: inv.Hash}
}

// fnKey is the function a warmKey belongs to.
type fnKey struct{ tenant, function string }

// warmRuntime is a runtime with its bookkeeping.
type warmRuntime struct {
	r     *run
	key   warmKey
	born  time.Time
	calls int
	bytes int64         // estimated, again after each call: a later call may load libraries
	code  int           // bytes of the program's source
	hash  uint64        // of key, for admission
	elem  *list.Element // in warmPool.lru while idle
}

// warmPool holds the idle runtimes.
type warmPool struct {
	cfg WarmConfig

	mu    sync.Mutex
	idle  map[warmKey][]*warmRuntime // most recently used last
	lru   list.List                  // of *warmRuntime, most recently used first
	live  map[fnKey]warmKey          // the version of each function last called
	count int
	bytes int64
	admit *admission

	hits, misses atomic.Uint64
	discards     [numDiscardReasons]atomic.Uint64
}

// Why a warm runtime was thrown away, for /metrics.
const (
	DiscardInterrupted = iota // its run was interrupted: time limit, cancel, heap watcher
	DiscardLimit              // its run hit a limit (memory guard, call stack, output caps) or failed in a way that may leave it half-done
	DiscardLoadFailed         // its module's top level threw
	DiscardVersion            // its function's live version (or variables) changed
	DiscardLifetime           // it served its calls or minutes
	DiscardEvicted            // pushed out, or not admitted, for room
	DiscardHeap               // dropped with all idle runtimes: the heap neared its limit
	numDiscardReasons
)

// DiscardReasons names each Discard* reason, as /metrics labels them.
var DiscardReasons = [numDiscardReasons]string{"interrupted", "limit", "load_failed", "version", "lifetime", "evicted", "heap"}

func newWarmPool(cfg WarmConfig) *warmPool {
	if cfg.MaxRuntimes == 0 {
		cfg.MaxRuntimes = 10_000
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = 256 << 20
	}
	if cfg.MaxCalls <= 0 {
		cfg.MaxCalls = 10_000
	}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = 5 * time.Minute
	}
	p := &warmPool{cfg: cfg, idle: map[warmKey][]*warmRuntime{}, live: map[fnKey]warmKey{}}
	if cfg.MaxRuntimes > 0 {
		p.admit = newAdmission(cfg.MaxRuntimes)
	}
	return p
}

// newWarm wraps a runtime that just served its first call.
func (p *warmPool) newWarm(key warmKey, r *run, prg *Program) *warmRuntime {
	w := &warmRuntime{r: r, key: key, born: time.Now(), bytes: runtimeBytes(r, prg.codeLen), code: prg.codeLen}
	if p.admit != nil {
		w.hash = p.admit.hash(key)
	}
	return w
}

// take returns an idle runtime for key, or nil. A call of another
// version than the one last seen means the live version changed: the
// old version's idle runtimes go.
func (p *warmPool) take(key warmKey) *warmRuntime {
	if p.cfg.MaxRuntimes < 0 {
		return nil
	}
	h := p.admit.hash(key)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.admit.called(h)
	fn := fnKey{key.tenant, key.function}
	if old, ok := p.live[fn]; !ok || old != key {
		if ok {
			p.dropKey(old)
		}
		p.live[fn] = key
	}
	stack := p.idle[key]
	for len(stack) > 0 {
		w := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p.unlink(w)
		if time.Since(w.born) < p.cfg.MaxAge {
			p.setStack(key, stack)
			p.hits.Add(1)
			return w
		}
		p.discards[DiscardLifetime].Add(1)
	}
	p.setStack(key, stack)
	p.misses.Add(1)
	return nil
}

// put returns a runtime after a call; it is kept only if the call left it
// reusable (discard is -1, else why not), its version is still the live
// one, and its lifetime is not over.
func (p *warmPool) put(w *warmRuntime, discard int) {
	if p.cfg.MaxRuntimes < 0 {
		return
	}
	w.calls++
	p.mu.Lock()
	defer p.mu.Unlock()
	fn := fnKey{w.key.tenant, w.key.function}
	if live, ok := p.live[fn]; !ok {
		p.live[fn] = w.key // its first call
	} else if live != w.key && discard < 0 {
		discard = DiscardVersion
	}
	if discard < 0 && (w.calls >= p.cfg.MaxCalls || time.Since(w.born) >= p.cfg.MaxAge) {
		discard = DiscardLifetime
	}
	if discard >= 0 {
		p.discards[discard].Add(1)
		return
	}
	w.bytes = runtimeBytes(w.r, w.code) // w is not in p.bytes while it serves a call
	if !p.admits(w) {
		p.discards[DiscardEvicted].Add(1)
		return
	}
	w.r.release()
	w.elem = p.lru.PushFront(w)
	p.idle[w.key] = append(p.idle[w.key], w)
	p.count++
	p.bytes += w.bytes
	for p.count > p.cfg.MaxRuntimes || p.bytes > p.cfg.MaxBytes {
		oldest := p.lru.Back().Value.(*warmRuntime)
		p.remove(oldest)
		p.discards[DiscardEvicted].Add(1)
	}
}

// admits tells whether w may join the idle runtimes: always while they
// have room, and when they are full, only if its function was called more
// often lately than that of the runtime it would push out.
func (p *warmPool) admits(w *warmRuntime) bool {
	if p.count < p.cfg.MaxRuntimes && p.bytes+w.bytes <= p.cfg.MaxBytes {
		return true
	}
	victim := p.lru.Back()
	return victim == nil || p.admit.frequency(w.hash) > p.admit.frequency(victim.Value.(*warmRuntime).hash)
}

// dropAll forgets every idle runtime (the heap is near its limit).
func (p *warmPool) dropAll() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.discards[DiscardHeap].Add(uint64(p.count))
	p.idle = map[warmKey][]*warmRuntime{}
	p.lru.Init()
	p.count, p.bytes = 0, 0
}

// dropKey forgets the idle runtimes of one version.
func (p *warmPool) dropKey(key warmKey) {
	for _, w := range p.idle[key] {
		p.unlink(w)
		p.discards[DiscardVersion].Add(1)
	}
	delete(p.idle, key)
}

// remove takes one idle runtime out of the pool.
func (p *warmPool) remove(w *warmRuntime) {
	stack := p.idle[w.key]
	for i, x := range stack {
		if x == w {
			stack = append(stack[:i], stack[i+1:]...)
			break
		}
	}
	p.setStack(w.key, stack)
	p.unlink(w)
}

// unlink takes w off the LRU list and the totals.
func (p *warmPool) unlink(w *warmRuntime) {
	if w.elem != nil {
		p.lru.Remove(w.elem)
		w.elem = nil
		p.count--
		p.bytes -= w.bytes
	}
}

func (p *warmPool) setStack(key warmKey, stack []*warmRuntime) {
	if len(stack) == 0 {
		delete(p.idle, key)
	} else {
		p.idle[key] = stack
	}
}

// WarmStats describe the warm runtimes of an engine.
type WarmStats struct {
	Idle      int   // runtimes kept for a next call
	IdleBytes int64 // their estimated memory
	Hits      uint64
	Misses    uint64
	Discards  uint64 // thrown away, for every reason
	// DiscardsBy counts them by reason (Discard*, named by DiscardReasons).
	DiscardsBy [numDiscardReasons]uint64
}

// WarmStats reports the warm-runtime pool's figures.
func (e *Engine) WarmStats() WarmStats {
	p := e.warm
	p.mu.Lock()
	defer p.mu.Unlock()
	st := WarmStats{Idle: p.count, IdleBytes: p.bytes, Hits: p.hits.Load(), Misses: p.misses.Load()}
	for i := range p.discards {
		st.DiscardsBy[i] = p.discards[i].Load()
		st.Discards += st.DiscardsBy[i]
	}
	return st
}

// beginCall readies a runtime that served an earlier call for inv: the
// call's own state starts afresh; the runtime and its globals do not.
func (r *run) beginCall(inv *functions.Invocation) {
	r.inv = inv
	r.logs, r.logBytes, r.logCut, r.overMem, r.overMemWhy = nil, 0, false, false, ""
	r.async = &asyncOps{}
	r.fetches = nil
	r.fetchBytes.Store(0)
	r.traceParsed, r.traceSpan, r.fetchSpans = false, trace.SpanContext{}, nil
}

// release drops what an idle runtime would otherwise keep of its last
// call: the request (its body can be a MiB; in a sandbox, the whole frame
// it came in), the console output and the call's context. What the next
// call is checked against (identity, env) stays.
func (r *run) release() {
	inv := r.inv
	r.idleInv = functions.Invocation{Function: inv.Function, Type: inv.Type, Hash: inv.Hash, Env: inv.Env,
		Timeout: inv.Timeout, MemoryMB: inv.MemoryMB, FreshRuntime: inv.FreshRuntime}
	r.inv = &r.idleInv
	r.logs, r.runCtx, r.fetches, r.ctx = nil, nil, nil, nil
}

// reusable reports whether the runtime may serve another call after one
// that ended with err: not after an interruption (time limit, cancel, heap
// watcher) or any limit (memory guard, call stack, output caps), nor when
// its module failed to load or a binding panicked.
// discardReason is why the runtime may not serve another call (a Discard*
// reason), or -1 when it may.
func (r *run) discardReason(err error) int {
	switch {
	case r.loadFailed:
		return DiscardLoadFailed
	case r.interrupted():
		return DiscardInterrupted
	case r.hitLimit || r.overMem || r.logCut:
		return DiscardLimit
	}
	var re *functions.RunError
	if errors.As(err, &re) {
		switch re.Code {
		case functions.CodeFunctionError, functions.CodeExportNotFound:
			return -1 // the function's own error: the runtime is as it left it
		case functions.CodeCancelled:
			return DiscardInterrupted // cancelled, maybe before the interrupt landed
		}
		if re.SIPCode != 0 {
			return -1
		}
		return DiscardLimit // timeout, memory, bad or oversized result, …
	}
	if err != nil {
		return DiscardLimit
	}
	return -1
}
