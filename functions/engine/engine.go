package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dlclark/regexp2/v2"
	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
	"go.opentelemetry.io/otel/trace"

	"github.com/scriptforge/scriptforge/cache"
	"github.com/scriptforge/scriptforge/functions"
)

// Config tunes the engine. Zero values take the documented defaults.
type Config struct {
	// Programs caches compiled programs by version hash. Default: 128 MiB.
	Programs *cache.Cache[*Program]
	// Host is EXEC_HOST as functions see it.
	Host string
	// MaxCallDepth caps the JS call stack (goja's default is unbounded). Default 2000.
	MaxCallDepth int
	// MaxResultBytes caps a serialized return value or Response body. Default 6 MiB.
	MaxResultBytes int
	// MaxLogLines and MaxLogBytes cap console output kept per run. Defaults 1000 and 256 KiB.
	MaxLogLines int
	MaxLogBytes int
	// HeapLimit, if set, interrupts every run in progress when the Go heap
	// passes it (see heapWatch). Call Close to stop the watcher.
	HeapLimit uint64
	// HeapCheckEvery is how often the heap is sampled. Default 10 ms.
	HeapCheckEvery time.Duration
	// Fetch configures fetch and the http module of Apps.
	Fetch FetchConfig
	// KV serves the kv module; without it, require('kv') works but every
	// call fails with "unavailable".
	KV KV
	// Warm bounds the runtimes kept warm between calls (see warm.go).
	Warm WarmConfig
}

// KV runs the kv module's calls. inv identifies the run: the
// implementation, not the function, decides whose store it is.
type KV interface {
	KV(ctx context.Context, inv *functions.Invocation, op functions.KVOp) functions.KVReply
}

// LocalKV is a KV on a store in this process: the tenant is the
// invocation's, which the gateway set.
type LocalKV struct {
	Store functions.KVStore
	Quota functions.KVQuota
}

func (l LocalKV) KV(ctx context.Context, inv *functions.Invocation, op functions.KVOp) functions.KVReply {
	return functions.DoKV(ctx, l.Store, inv.Function.Tenant, l.Quota, op)
}

// FetchConfig bounds what an App's fetch may reach and read.
type FetchConfig struct {
	// AllowPrivate lists private networks fetch may reach anyway (an
	// operator's on-premise services). Everything else that is not a
	// public unicast address (loopback, private, link-local and cloud
	// metadata, CGNAT, multicast) is refused at dial time.
	AllowPrivate []netip.Prefix
	// MaxResponseBytes caps a response body. Default 5 MiB.
	MaxResponseBytes int64
	// MaxRedirects caps the redirects one fetch follows. Default 5.
	MaxRedirects int
	// Dial, if set, replaces the checked dialer: for tests only.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// Engine runs invocations in-process, each in a fresh goja runtime. It is
// safe for concurrent use.
type Engine struct {
	cfg  Config
	heap *heapWatch // nil without a HeapLimit
	warm *warmPool

	fetchOnce sync.Once
	transport *http.Transport // fetch's, shared by all runs
	// fetches counts finished fetches by outcome (FetchOutcomes).
	fetches [numFetchOutcomes]atomic.Uint64
}

var _ functions.Executor = (*Engine)(nil)

// ErrNoCode is returned for an invocation without code whose program is
// not cached: the caller sends it again with the code.
var ErrNoCode = errors.New("engine: program not cached and no code sent")

// defaultTimeout applies when an invocation names no time limit.
const defaultTimeout = 2 * time.Second

// regexpTimeout bounds one regexp2 match. goja falls back to regexp2 for
// patterns RE2 cannot run (backreferences, lookaround); its default timeout
// is forever, and Interrupt does not stop a match in progress. goja reads
// the package default when it compiles a pattern, so it is set once here.
const regexpTimeout = time.Second

var setRegexpTimeout sync.Once

// New returns an engine.
func New(cfg Config) *Engine {
	if cfg.Programs == nil {
		cfg.Programs = cache.New[*Program](128 << 20)
	}
	if cfg.MaxCallDepth == 0 {
		cfg.MaxCallDepth = 2000
	}
	if cfg.MaxResultBytes == 0 {
		cfg.MaxResultBytes = 6 << 20
	}
	if cfg.MaxLogLines == 0 {
		cfg.MaxLogLines = 1000
	}
	if cfg.MaxLogBytes == 0 {
		cfg.MaxLogBytes = 256 << 10
	}
	if cfg.HeapCheckEvery == 0 {
		cfg.HeapCheckEvery = 10 * time.Millisecond
	}
	if cfg.Fetch.MaxResponseBytes == 0 {
		cfg.Fetch.MaxResponseBytes = 5 << 20
	}
	if cfg.Fetch.MaxRedirects == 0 {
		cfg.Fetch.MaxRedirects = 5
	}
	setRegexpTimeout.Do(func() { regexp2.DefaultMatchTimeout = regexpTimeout })
	e := &Engine{cfg: cfg, warm: newWarmPool(cfg.Warm)}
	if cfg.HeapLimit > 0 {
		// Idle warm runtimes are the first thing to go when the heap is
		// near its limit: dropping them costs a rebuild, not a failed run.
		e.heap = newHeapWatch(cfg.HeapLimit, cfg.HeapCheckEvery, e.warm.dropAll)
	}
	return e
}

// Close stops the heap watcher, if any. Runs in progress are not affected.
func (e *Engine) Close() {
	if e.heap != nil {
		e.heap.close()
	}
}

// HeapTrips counts the times the heap watcher stopped runs.
func (e *Engine) HeapTrips() uint64 {
	if e.heap == nil {
		return 0
	}
	return e.heap.trips.Load()
}

// Program is compiled code, cached per version hash.
type Program struct {
	prg *goja.Program
	// makesFunctionKinds: the code may create async or generator functions,
	// whose constructors must then be guarded before it runs.
	makesFunctionKinds bool
	usesRegExp         bool // the code may hold a regexp literal (see guardRegExp)
	usesBigInt         bool // the code may hold a BigInt literal (see guardBigIntLocale)
	codeLen            int  // bytes of source: a proxy for what a runtime running it holds
}

var promiseType = reflect.TypeOf((*goja.Promise)(nil))

// interruption is the value passed to Runtime.Interrupt, so the error
// mapping can tell a timeout from a cancelled request.
type interruption struct {
	code    string
	message string
}

// Execute runs one invocation, in a warm runtime of its function version
// when one is idle (see warm.go), else in a new one, which is kept warm
// afterwards unless the invocation asks for a fresh runtime. A
// *functions.RunError is returned for any failure the caller should see;
// other errors are the engine's own.
func (e *Engine) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	start := time.Now()
	if inv.Prepare {
		if _, err := e.program(inv); err != nil {
			return nil, err
		}
		return &functions.Result{JSON: []byte("null")}, nil
	}
	key := warmKeyOf(inv)
	if !inv.FreshRuntime {
		if w := e.warm.take(key); w != nil && !slices.Equal(w.r.inv.Env, inv.Env) {
			// Same version, other variables: only an embedder can do this
			// (a deploy makes a new version), but process.env must not lie.
			e.warm.put(w, DiscardVersion)
		} else if w != nil {
			w.r.beginCall(inv)
			res, err := e.guard(ctx, w.r, start, w.r.call)
			e.warm.put(w, w.r.discardReason(err))
			return res, err
		}
	}
	prg, err := e.program(inv)
	if err != nil {
		return nil, err
	}
	r := newRun(e, inv)
	res, err := e.guard(ctx, r, start, func() (*functions.Result, error) {
		if err := r.load(prg); err != nil {
			r.loadFailed = true
			return nil, err
		}
		return r.call()
	})
	if !inv.FreshRuntime {
		e.warm.put(e.warm.newWarm(key, r, prg), r.discardReason(err))
	}
	return res, err
}

// programBytes estimates the heap a compiled program holds: its code, the
// AST-derived instructions, the parsed source map. Measured by
// TestProgramFootprint (5 to 8 bytes per byte of code, small to large).
func programBytes(codeLen int) int64 { return int64(codeLen) * 8 }

// program returns the compiled program of inv, from the cache when it can.
func (e *Engine) program(inv *functions.Invocation) (*Program, error) {
	prg, err := e.cfg.Programs.Get(inv.Hash, func() (*Program, int64, error) {
		if inv.Code == "" {
			return nil, 0, ErrNoCode
		}
		p, err := compile(inv.Function.Name+".js", inv.Code)
		if err != nil {
			return nil, 0, err
		}
		// goja gives no size for a Program; its footprint tracks the code's length.
		return &Program{prg: p, makesFunctionKinds: makesFunctionKinds(inv.Code), usesRegExp: usesRegExp(inv.Code),
			usesBigInt: usesBigInt(inv.Code), codeLen: len(inv.Code)}, programBytes(len(inv.Code)), nil
	})
	if errors.Is(err, ErrNoCode) {
		return nil, err
	}
	if err != nil {
		return nil, &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeCompile, Message: err.Error()}
	}
	return prg, nil
}

// guard runs f as the JavaScript part of r's invocation: under its time
// limit, cancellable through ctx, watched by the heap watcher, and with
// any panic of a binding turned into a failed run, not a failed gateway.
func (e *Engine) guard(ctx context.Context, r *run, start time.Time, f func() (*functions.Result, error)) (res *functions.Result, err error) {
	mark, _ := ctx.Value(cpuMarkKey{}).(*CPUMark)
	r.cpu.start(mark)
	defer func() { r.cpu.charge(res, err) }() // deferred first, so it runs last: after a panic became a RunError
	defer func() {
		if p := recover(); p != nil {
			r.hitLimit = true // a binding failed half-way: the runtime's state is unknown
			if r.interrupted() {
				// Stopped while our own setup code ran (a fresh runtime
				// being built): the stop is the answer, not the panic it
				// caused there.
				res, err = nil, r.fail(r.interruptedError())
				return
			}
			res, err = nil, r.fail(&functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError, Message: fmt.Sprintf("internal error: %v", p)})
		}
	}()
	timeout := r.inv.Timeout
	if timeout <= 0 {
		timeout = defaultTimeout
	}
	r.resetInterrupt()
	timer := time.AfterFunc(timeout, func() {
		r.interrupt(interruption{functions.CodeTimeout, fmt.Sprintf("function exceeded its time limit of %d ms", timeout.Milliseconds())})
	})
	defer timer.Stop()
	stop := context.AfterFunc(ctx, func() {
		r.interrupt(interruption{functions.CodeCancelled, "the run was cancelled: " + context.Cause(ctx).Error()})
	})
	defer stop()
	if e.heap != nil {
		e.heap.add(r)
		defer e.heap.remove(r)
	}
	defer r.timers.cancelAll() // an App returns when its promise settles: pending timers die with it
	runCtx, endRun := context.WithCancel(ctx)
	defer endRun() // and so does its asynchronous work
	r.runCtx = runCtx
	// Deferred last, so it runs first: once the call's JavaScript is done
	// nothing interrupts the runtime, and whether it was interrupted is final.
	defer r.finish()

	out, err := f()
	if err != nil {
		if errors.Is(ctx.Err(), context.Canceled) {
			// Cancelled: however the run ended (a fetch it awaited may have
			// failed, aborted, before the interrupt came), the cancel is why.
			err = &functions.RunError{Status: functions.StatusCancelled, Code: functions.CodeCancelled,
				Message: "the run was cancelled: " + context.Cause(ctx).Error()}
		}
		return nil, r.fail(err)
	}
	out.Logs = r.logs
	out.Fetches = r.fetchSpans
	out.Duration = time.Since(start)
	return out, nil
}

// run is the state of one invocation.
type run struct {
	e        *Engine
	inv      *functions.Invocation
	vm       *goja.Runtime
	logs     []functions.LogLine
	logBytes int
	logCut   bool
	private  []string // values of private env vars, masked in logs
	overMem  bool     // an allocation guard fired during the run
	// overMemWhy is the guard's message: a RangeError thrown where no
	// one catches it (a promise job) can leave the run waiting for nothing.
	overMemWhy string
	cpu        cpuClock // the run's CPU time

	// Captured before user code runs, which may replace the globals.
	parse, stringify goja.Callable
	objectProto      *goja.Object // what parseData's objects inherit from
	// toJSON is resultJSON as a goja function: the result's one pass that
	// both writes the text and bounds it.
	toJSON goja.Callable
	// resultOver: the result's text passed the result limit.
	resultOver bool
	// resultText is what toJSON wrote.
	resultText    []byte
	unwrap        goja.Callable           // set once the Response library has run
	collators     map[string]collation    // localeCompare's, by locale and options
	builtins      map[*goja.Object]string // built-ins written in JavaScript, by their native name (markBuiltin)
	builtinRoots  []builtinRoot           // where to find more of them, walked on the first toString
	toLocaleStack map[*goja.Object]bool   // arrays in Array.prototype.toLocaleString now, for cycles
	bigIntGuarded bool                    // BigInt.prototype.toLocaleString is in place
	hasFn         goja.Callable           // JavaScript's in operator (see has)
	isArrayFn     goja.Callable           // the original Array.isArray
	getVFn        goja.Callable           // a property of a primitive (see getV)
	dateFormats   map[string]goja.Value   // compiled Intl.DateTimeFormats ({handle, resolved}), by locale and options
	dateNatives   *dateNatives            // the Date methods' fast path, once js/intl_datetime.js has loaded
	partNames     map[string]goja.Value   // formatToParts's types and sources, as JavaScript strings
	libs          map[string]*goja.Object // the JavaScript libraries run so far (see lib)
	required      map[string]goja.Value   // modules required so far
	console       goja.Value              // built on first use
	env           *goja.Object
	global        *lazyGlobal
	kindsGuarded  bool         // AsyncFunction and GeneratorFunction are guarded
	regexps       *regexpGuard // set once RegExp.prototype is guarded

	// Interruption: the JS side stops through vm.Interrupt; the event
	// loop, which may be waiting in Go for a timer, through stopped.
	imu      sync.Mutex
	stopped  chan struct{} // closed by interrupt
	stopWith *interruption
	finished bool // the call is over: later interrupts are ignored
	timers   timers
	async    *asyncOps // new per call, so a late completion cannot reach the next

	ctx     *ctxObject           // this call's ctx, for what the run left in ctx.call
	idleInv functions.Invocation // what r.inv points at while the runtime is idle (see release)

	// Why the runtime must not serve another call (see reusable).
	loadFailed bool // the module's top level threw
	hitLimit   bool // a limit the error mapping saw (call stack, panic)
	// runCtx ends when the invocation does: asynchronous work started by
	// the run (a fetch) stops with it.
	runCtx context.Context
	// fetches in flight, by id, to abort them; all on the run's goroutine.
	fetches    map[int64]context.CancelFunc
	fetchID    int64
	fetchBytes atomic.Int64 // response bytes read by this run's fetches
	// The run's trace (see fetch_trace.go): parsed on its first fetch.
	traceParsed bool
	traceSpan   trace.SpanContext
	fetchSpans  []functions.FetchSpan // traced fetches that ended, for the result
}

// interrupt stops the run: its JavaScript at the next instruction, and the
// event loop if it is waiting for a timer.
func (r *run) interrupt(i interruption) {
	r.imu.Lock()
	defer r.imu.Unlock()
	if r.finished {
		return // a timer that fired as the call ended: it must not reach the next call
	}
	r.vm.Interrupt(i)
	if r.stopWith == nil {
		r.stopWith = &i
		close(r.stopped)
	}
}

// resetInterrupt arms the run for a new invocation (a warm runtime or a
// Worker's serves many).
func (r *run) resetInterrupt() {
	r.imu.Lock()
	defer r.imu.Unlock()
	r.finished = false
	if r.stopped == nil || r.stopWith != nil {
		r.stopped, r.stopWith = make(chan struct{}), nil
	}
}

// finish ends the call: interrupts from now on are ignored.
func (r *run) finish() {
	r.imu.Lock()
	r.finished = true
	r.imu.Unlock()
}

// interrupted reports whether the last call was interrupted (time limit,
// cancellation, heap watcher).
func (r *run) interrupted() bool {
	r.imu.Lock()
	defer r.imu.Unlock()
	return r.stopWith != nil
}

func newRun(e *Engine, inv *functions.Invocation) *run {
	vm := goja.New()
	vm.SetMaxCallStackSize(e.cfg.MaxCallDepth)
	// Code reaching eval or new Function is parsed with this too.
	vm.SetParserOptions(parser.WithDisableSourceMaps)
	r := &run{e: e, inv: inv, vm: vm, async: &asyncOps{}}
	for _, v := range inv.Env {
		if v.Flag == functions.EnvPrivate && len(v.Value) >= 4 {
			r.private = append(r.private, v.Value)
		}
	}
	return r
}

// load prepares the runtime and runs the module's top level.
func (r *run) load(prg *Program) error {
	r.setup()
	if prg.makesFunctionKinds {
		r.guardFunctionKinds()
	}
	if prg.usesRegExp {
		r.guardRegExp()
	}
	if prg.usesBigInt {
		r.guardBigIntLocale()
	}
	_, err := r.vm.RunProgram(prg.prg)
	return err
}

// call calls the invocation's export with its data and ctx.
func (r *run) call() (*functions.Result, error) {
	fn, err := r.export()
	if err != nil {
		return nil, err
	}
	r.setCorrelationID()
	data, err := r.parseData(r.inv.Data)
	if err != nil {
		return nil, fmt.Errorf("request data: %w", err)
	}
	ret, err := fn(goja.Undefined(), data, r.context())
	if err != nil {
		return nil, err
	}
	ret, err = r.settle(ret)
	if err != nil {
		return nil, err
	}
	res, err := r.result(ret)
	if err != nil {
		return nil, err
	}
	if res.CallState, err = r.callState(); err != nil {
		return nil, err
	}
	return res, nil
}

// callState is ctx.call.state as JSON once the run is over, when the run
// read ctx.call (else it cannot have changed it). A state over the bound
// fails the run, so that the gateway stores nothing.
func (r *run) callState() (json.RawMessage, error) {
	if r.inv.Call == nil || r.ctx == nil {
		return nil, nil
	}
	call, ok := r.ctx.values["call"].(*goja.Object)
	if !ok || r.ctx.deleted["call"] {
		return nil, nil
	}
	state := call.Get("state")
	if state == nil || goja.IsUndefined(state) || goja.IsNull(state) {
		return json.RawMessage("null"), nil
	}
	fail := func(msg string) error {
		return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeCallState, Message: msg + "; the stored state was left as it was"}
	}
	if obj, isObj := state.(*goja.Object); !isObj || r.isArray(obj) {
		return nil, fail("ctx.call.state must be an object")
	}
	if bad := r.checkJSON(state); bad != nil {
		return nil, fail("ctx.call.state cannot be stored: " + safeString(bad))
	}
	s, err := r.stringify(goja.Undefined(), state)
	if err != nil || goja.IsUndefined(s) {
		return nil, fail("ctx.call.state is not JSON-serializable")
	}
	out := s.String()
	if max := r.inv.Call.MaxStateBytes; max > 0 && len(out) > max {
		return nil, fail(fmt.Sprintf("ctx.call.state is %d bytes of JSON, over the bound of %d bytes", len(out), max))
	}
	return json.RawMessage(out), nil
}

// export finds the function to call: module.exports[name], then, for
// main, a default export, a module.exports that is itself a function, or a
// top-level function main(data) as classic scripts declare it.
func (r *run) export() (goja.Callable, error) {
	name := r.inv.Export
	if name == "" {
		name = "main"
	}
	exports := r.vm.Get("module").ToObject(r.vm).Get("exports")
	candidates := []goja.Value{}
	if obj, ok := exports.(*goja.Object); ok {
		candidates = append(candidates, obj.Get(name))
		if name == "main" {
			candidates = append(candidates, obj.Get("default"), exports, r.vm.Get("main"))
		}
	}
	for _, c := range candidates {
		if fn, ok := goja.AssertFunction(c); ok {
			return fn, nil
		}
	}
	return nil, &functions.RunError{Status: http.StatusNotFound, Code: functions.CodeExportNotFound,
		Message: fmt.Sprintf("the function has no export %q (exports: %s)", name, r.exportNames(exports))}
}

func (r *run) exportNames(exports goja.Value) string {
	var names []string
	if obj, ok := exports.(*goja.Object); ok {
		for _, k := range obj.Keys() {
			if _, ok := goja.AssertFunction(obj.Get(k)); ok {
				names = append(names, k)
			}
		}
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// fail maps any error of a run to a RunError carrying the run's logs.
func (r *run) fail(err error) *functions.RunError {
	re := r.classify(err)
	re.Logs = r.logs
	return re
}

func (r *run) classify(err error) *functions.RunError {
	var re *functions.RunError
	if errors.As(err, &re) {
		return re
	}
	var intr *goja.InterruptedError
	if errors.As(err, &intr) {
		if i, ok := intr.Value().(interruption); ok {
			return &functions.RunError{Status: interruptStatus(i.code), Code: i.code, Message: i.message}
		}
	}
	var so *goja.StackOverflowError
	if errors.As(err, &so) {
		r.hitLimit = true
		return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError,
			Message: fmt.Sprintf("RangeError: maximum call stack size exceeded (limit %d frames)", r.e.cfg.MaxCallDepth)}
	}
	var ex *goja.Exception
	if errors.As(err, &ex) {
		if r.interrupted() {
			// A guard's Go loop that saw the run stop throws an error
			// ("… was stopped"); what stopped it is the answer.
			return r.interruptedError().(*functions.RunError)
		}
		re := rejection(ex.Value())
		if re.SIPCode == 0 {
			re.Stack = safeText(ex.String)
			if r.overMem {
				re.Code = functions.CodeMemoryLimit
			}
		}
		return re
	}
	return &functions.RunError{Status: http.StatusInternalServerError, Code: functions.CodeFunctionError, Message: err.Error()}
}

func exceptionText(err error) string {
	var ex *goja.Exception
	if errors.As(err, &ex) && ex.Value() != nil {
		return ex.Value().String()
	}
	return err.Error()
}
