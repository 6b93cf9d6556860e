package sandbox

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/internal/reuse"
)

// Error codes of runs lost with their sandbox.
const (
	CodeSandboxCrash     = "sandbox_crash"     // the sandbox died for another reason
	CodeSandboxRestarted = "sandbox_restarted" // another run's overstay had it stopped
	// CodeSandboxRestarting: the call waited its whole time limit for a
	// sandbox that was restarting (it never ran).
	CodeSandboxRestarting = "sandbox_restarting"
)

// Config tunes a Pool. Zero values take the defaults noted.
type Config struct {
	// Command returns the command of one sandbox process. Default: this
	// executable with the "sandbox" argument. The pool sets its
	// environment (empty but for Env), working directory and pipes.
	Command func() *exec.Cmd
	// Env is the sandbox's whole environment. Default: none at all.
	Env []string
	// Size is the number of sandboxes. Default: one per CPU.
	Size int
	// Grace is how long past a run's own time limit the gateway waits
	// before it kills the sandbox. Default 1 s.
	Grace time.Duration
	// MemoryMB is the sandbox's memory cap, reported in errors (the
	// sandbox applies it to itself). Default 1024.
	MemoryMB int
	// Logger receives sandbox starts, deaths and their stderr. Default: discard.
	Logger *slog.Logger
	// Credential, if set, is the user and group the sandboxes run as: an
	// unprivileged one keeps them out of the gateway's data directory.
	Credential *syscall.Credential
	// Cgroups, if set, starts each sandbox in a cgroup of its own whose
	// memory.max is MemoryMB plus room for the runtime. Without it each
	// sandbox caps itself with RLIMIT_AS.
	Cgroups *Cgroups
	// CPUProfileDir, if set, has each sandbox write a CPU profile into
	// this directory (sandbox-<slot>-<start time>.pprof; the gateway
	// creates the file, so the sandbox's user needs no access to it). The
	// sandbox stops the profile after the time its command asks for
	// (scriptforge sandbox --cpuprofile-for), or when it exits cleanly.
	CPUProfileDir string
	// KV is the store of the kv module, with each tenant's quota; without
	// it, kv calls fail as unavailable.
	KV      functions.KVStore
	KVQuota functions.KVQuota
	// QuarantineSandboxes is how many sandboxes of their own quarantined
	// functions may have at once, each started on a function's first call
	// in quarantine. Default 2; negative: none (their calls are refused).
	QuarantineSandboxes int
	// QuarantineCooldown is a function's first quarantine; each further
	// offence doubles it, up to QuarantineMax. Defaults 1 min and 1 h.
	QuarantineCooldown, QuarantineMax time.Duration
	// NoQuarantine turns quarantine off: for a pool that serves a single
	// function (a Worker's), whose sandbox is its own anyway.
	NoQuarantine bool
}

// Quarantine thresholds: two sandbox kills within ten minutes quarantine
// a function; a day without one forgets its offences.
const (
	quarantineKills  = 2
	quarantineWindow = 10 * time.Minute
	quarantineForget = 24 * time.Hour
)

// Pool runs invocations in a fixed set of sandbox processes. It is a
// functions.Executor.
type Pool struct {
	cfg    Config
	log    *slog.Logger
	slots  []*slot
	nextID atomic.Uint64
	closed atomic.Bool
	done   chan struct{} // closed by Close: nobody waits for a restart then
	// Restarts counts sandboxes started again after dying.
	restarts atomic.Uint64
	// stats adds up the engine figures the sandboxes report.
	stats poolStats

	// Functions that keep killing their sandbox, and the sandboxes they
	// get of their own; nil with Config.NoQuarantine. qmu guards who owns
	// which quarantine slot.
	quarantines *quarantines
	qslots      []*slot
	qmu         sync.Mutex
	// onQuarantine is told of each quarantine this pool decides (OnQuarantine).
	onQuarantine atomic.Pointer[func(functionID string, q Quarantine)]
}

var _ functions.Executor = (*Pool)(nil)

// New returns a pool; Start launches its sandboxes.
func New(cfg Config) *Pool {
	if cfg.Size <= 0 {
		cfg.Size = runtime.NumCPU()
	}
	if cfg.Grace <= 0 {
		cfg.Grace = time.Second
	}
	if cfg.MemoryMB <= 0 {
		cfg.MemoryMB = 1024
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Command == nil {
		cfg.Command = func() *exec.Cmd {
			self, err := os.Executable()
			if err != nil {
				self = os.Args[0]
			}
			return exec.Command(self, "sandbox")
		}
	}
	if cfg.QuarantineSandboxes == 0 {
		cfg.QuarantineSandboxes = 2
	}
	cfg.QuarantineCooldown = cmp.Or(cfg.QuarantineCooldown, time.Minute)
	cfg.QuarantineMax = max(cmp.Or(cfg.QuarantineMax, time.Hour), cfg.QuarantineCooldown)
	p := &Pool{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
	for i := range cfg.Size {
		p.slots = append(p.slots, newSlot(p, i, false))
	}
	if !cfg.NoQuarantine {
		p.quarantines = newQuarantines(quarantineRules{kills: quarantineKills, window: quarantineWindow,
			cooldown: cfg.QuarantineCooldown, max: cfg.QuarantineMax, forget: quarantineForget}, p.release)
		for i := range max(cfg.QuarantineSandboxes, 0) {
			p.qslots = append(p.qslots, newSlot(p, i, true))
		}
	}
	return p
}

// Start launches every shared sandbox; it fails if one cannot start at
// all. Quarantine sandboxes start when a quarantined function needs one.
func (p *Pool) Start() error {
	for _, s := range p.slots {
		if err := s.start(false); err != nil {
			p.Close()
			return err
		}
	}
	return nil
}

// Close stops the sandboxes. Runs still in progress fail.
func (p *Pool) Close() {
	if p.closed.Swap(true) {
		return
	}
	close(p.done)
	if p.quarantines != nil {
		p.quarantines.close()
	}
	for _, s := range append(p.slots[:len(p.slots):len(p.slots)], p.qslots...) {
		s.mu.Lock()
		live, cg := s.live, s.cgroup
		s.mu.Unlock()
		switch {
		case live != nil:
			live.stop("the gateway is shutting down") // its cgroup goes when it has exited
		case cg != nil:
			cg.remove()
		}
	}
}

// Restarts is how many times a sandbox was started again after dying.
func (p *Pool) Restarts() uint64 { return p.restarts.Load() }

// errNotDelivered is a call that never reached the sandbox it was sent
// to: the process was known to be dying, or died before reading its
// frame. Nothing of it ran, so it is safe to run on the next process.
var errNotDelivered = errors.New("sandbox: the call did not reach the sandbox")

// errReroute is a call of a function whose quarantine ended while it
// waited: it goes the usual way.
var errReroute = errors.New("sandbox: the function left quarantine")

// Execute runs inv in the sandbox of its tenant (one tenant's runs share a
// sandbox, so a tenant's bomb costs other tenants as little as possible),
// or in a sandbox of its own while its function is quarantined. A call
// that meets a restart waits for the new process, within its own time
// limit; one that never reached a dying process runs on the next.
func (p *Pool) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	deadline := time.Now().Add(runTimeout(inv))
	h := fnv.New32a()
	_, _ = h.Write([]byte(inv.Function.Tenant))
	s := p.slots[int(h.Sum32()%uint32(len(p.slots)))]
	for {
		if q, ok := p.Quarantined(inv.Function.ID); ok {
			res, err := p.executeQuarantined(ctx, inv, q, deadline)
			if errors.Is(err, errReroute) {
				continue
			}
			return res, err
		}
		proc, err := s.wait(ctx, deadline)
		if err != nil {
			return nil, err
		}
		// The wait may have outlasted the death that quarantined this function.
		if _, ok := p.Quarantined(inv.Function.ID); ok {
			continue
		}
		res, err := proc.execute(ctx, inv)
		if !errors.Is(err, errNotDelivered) {
			return res, err
		}
		// The process was retired before it was marked dying, so the next
		// wait gets another one (or waits for it): no spinning.
	}
}

// runTimeout is inv's time limit.
func runTimeout(inv *functions.Invocation) time.Duration {
	if inv.Timeout <= 0 {
		return 2 * time.Second
	}
	return inv.Timeout
}

// pendingRun is a run a sandbox holds: where its answer goes, and whose
// kv store its kv calls reach; and, to judge a death, whose run it is,
// when it was sent and where its frame ends in the stream to the sandbox.
type pendingRun struct {
	answer   chan response
	tenant   string
	function string
	memoryMB int // its budget
	sent     time.Time
	end      int64 // 0 until its frame is queued
	// A chain's: its board slot and the frame's steps. Its function and
	// budget are those of the step the board says is running.
	slot  uint32
	steps []*functions.Invocation
	// live gets the console lines of a live run as they come, by step.
	live func(step int, l functions.LogLine)
}

// running resolves a chain's run to the step the board says is running
// (the first while it says nothing); other runs are themselves.
func (r pendingRun) running(b *board) pendingRun {
	if len(r.steps) == 0 {
		return r
	}
	i, _ := b.step(r.slot)
	i = max(i, 0)
	if i >= len(r.steps) {
		i = 0 // a board the sandbox wrote nonsense to
	}
	inv := r.steps[i]
	r.function, r.memoryMB = inv.Function.ID, inv.MemoryMB
	return r
}

// process is one running sandbox.
type process struct {
	slot    *slot
	cmd     *exec.Cmd
	started time.Time

	stdin *frameWriter
	// pipe is the write end of the sandbox's stdin: at its death the pipe
	// tells how many bytes it never read (stdin counts those written).
	pipe      *os.File
	closeOnce sync.Once

	mu       sync.Mutex
	pending  map[uint64]pendingRun
	why      *functions.RunError // set when it was stopped on purpose
	dying    bool                // stopped, draining or its pipe ended: no new calls
	draining bool                // close its input once the runs it holds are done
	culprit  string              // the function its death is put down to

	dead      chan struct{} // closed when the process has exited
	deathErr  *functions.RunError
	readBytes int64                        // bytes of the stream the sandbox had read when it died; set before dead closes
	hasCode   *lru.Cache[string, struct{}] // hashes whose code it has been sent
	versions  *lru.Cache[versionKey, *sentVersion]
	nextVer   atomic.Uint64
	stderrEnd *tail
	oomBefore int    // the cgroup's OOM kills before this process started
	board     *board // which step of each chain it runs; nil if it could not be made
}

func startProcess(s *slot) (*process, error) {
	cmd := s.pool.cfg.Command()
	// Nothing of the gateway's environment, but a bound on C's arenas
	// (see mallocArenas).
	cmd.Env = append([]string{mallocArenas}, s.pool.cfg.Env...)
	cmd.Dir = os.TempDir()
	// Its own process group: the terminal's signals are the gateway's to
	// handle, and a kill reaches anything the sandbox started. Pdeathsig
	// ends it if the gateway dies (strictly: if the OS thread that started
	// it exits, which Go does only for threads locked by LockOSThread).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL, Credential: s.pool.cfg.Credential}
	oomBefore := 0
	if cg, err := s.memoryCgroup(); err != nil {
		return nil, err
	} else if cg != nil {
		dir, err := cg.open()
		if err != nil {
			return nil, fmt.Errorf("opening the sandbox cgroup: %w", err)
		}
		defer dir.Close() // the child is in the cgroup once Start returns
		cmd.SysProcAttr.UseCgroupFD, cmd.SysProcAttr.CgroupFD = true, int(dir.Fd())
		oomBefore = cg.oomKills()
	}
	// A pipe of our own rather than StdinPipe: Wait would close that one,
	// and the pipe is still needed after the death (see delivered).
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd.Stdin = stdinR
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		stdinR.Close()
		stdinW.Close()
		return nil, err
	}
	t := &tail{log: s.pool.log, slot: s.index}
	cmd.Stderr = t
	// Without a board, chains are put down to their first step.
	b, boardFile, berr := newBoard()
	if berr != nil {
		s.pool.log.Warn("sandbox: no chain board", slog.Any("error", berr))
	}
	cmd.ExtraFiles = []*os.File{boardFile} // descriptor 3 (boardFD); closed in the child if nil
	if dir := s.pool.cfg.CPUProfileDir; dir != "" {
		name := filepath.Join(dir, fmt.Sprintf("sandbox-%s-%d.pprof", s.name(), time.Now().UnixNano()))
		if prof, perr := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); perr != nil {
			s.pool.log.Warn("sandbox: no CPU profile", slog.Any("error", perr))
		} else {
			defer prof.Close()                            // the child's once it has started
			cmd.ExtraFiles = append(cmd.ExtraFiles, prof) // descriptor 4 (profileFD)
		}
	}
	err = cmd.Start()
	stdinR.Close() // the child's now: held here, writes would not fail when it dies
	if boardFile != nil {
		boardFile.Close() // the child's and the mapping's now
	}
	if err != nil {
		b.close()
	}
	if err != nil {
		stdinW.Close()
		return nil, fmt.Errorf("starting a sandbox: %w", err)
	}
	// As many as the sandbox keeps (maxVersions): a gateway that forgets
	// sooner resends; one that remembers longer gets asked again (need).
	hasCode, _ := lru.New[string, struct{}](maxVersions)
	versions, _ := lru.New[versionKey, *sentVersion](maxVersions)
	p := &process{
		slot: s, cmd: cmd, started: time.Now(), pipe: stdinW,
		pending: map[uint64]pendingRun{}, dead: make(chan struct{}),
		hasCode: hasCode, versions: versions, stderrEnd: t, oomBefore: oomBefore, board: b,
	}
	p.stdin = newFrameWriter(stdinW, false)
	go p.readLoop(stdout)
	return p, nil
}

func (p *process) readLoop(stdout io.Reader) {
	in := bufio.NewReaderSize(stdout, 64<<10)
	for {
		resp, err := readResponse(in)
		if err != nil {
			if errors.Is(err, errMalformed) || errors.Is(err, errFrameTooLarge) {
				// Not a sandbox we can talk to any more (nor trust).
				p.stopWith(&functions.RunError{Status: http.StatusBadGateway, Code: CodeSandboxCrash,
					Message: "the sandbox running this function sent a malformed answer and was restarted; the run was lost"}, "")
			}
			break
		}
		if resp.KV != nil {
			p.kvCall(resp.ID, resp.KV)
			continue
		}
		if resp.Stats != nil {
			p.slot.pool.stats.set(p, *resp.Stats)
			continue
		}
		if resp.Log != nil {
			p.mu.Lock()
			run, ok := p.pending[resp.ID]
			p.mu.Unlock()
			if ok && run.live != nil {
				run.live(resp.Log.Step, resp.Log.Line) // does not block (Invocation.OnLog)
			}
			continue
		}
		p.mu.Lock()
		run, ok := p.pending[resp.ID]
		delete(p.pending, resp.ID)
		p.mu.Unlock()
		if ok {
			run.answer <- resp
		}
	}
	p.doom() // its output ended: it is dying, if not dead
	p.slot.pool.stats.retire(p)
	err := p.cmd.Wait()
	p.readBytes = p.delivered()
	p.deathErr = p.cause(err)
	blamed := p.watchdogCulprit()
	if p.deathErr.Code == functions.CodeMemoryLimit {
		var tenant string
		if blamed, tenant = p.suspect(); blamed != "" {
			// Before dead closes: the culprit's next call must find it quarantined.
			p.slot.pool.offence(blamed, tenant, "ran it out of memory")
		}
	}
	close(p.dead)
	p.board.close()
	p.closeInput() // its pipe is broken: this only stops the writer
	if p.slot.pool.closed.Load() && p.slot.cgroup != nil {
		p.slot.cgroup.remove()
	}
	p.slot.pool.log.Warn("sandbox exited", slog.String("slot", p.slot.name()), slog.Int("pid", p.cmd.Process.Pid),
		slog.String("cause", p.deathErr.Message), slog.String("blamed", blamed), slog.Any("exit", err))
	p.slot.died(p, time.Since(p.started), blamed)
}

func readResponse(in *bufio.Reader) (response, error) {
	b, err := readFrame(in)
	if err != nil {
		return response{}, err
	}
	return decodeResponse(b)
}

// cause says why the sandbox died, for the runs that died with it.
func (p *process) cause(exitErr error) *functions.RunError {
	p.mu.Lock()
	why := p.why
	p.mu.Unlock()
	if why != nil {
		return why
	}
	memMB := p.slot.pool.cfg.MemoryMB
	// The kernel's OOM killer sends SIGKILL (and counts it in the cgroup's
	// memory.events, with Config.Cgroups); see tail for the rest.
	oomKilled := p.slot.cgroup != nil && p.slot.cgroup.oomKills() > p.oomBefore
	if oomKilled || p.stderrEnd.sawMemoryError() || killedBy(exitErr, syscall.SIGKILL) {
		return &functions.RunError{Status: http.StatusServiceUnavailable, Code: functions.CodeMemoryLimit,
			Message: fmt.Sprintf("the sandbox running this function ran out of memory (limit %d MB), maybe because of another run on it, and was restarted; the run was lost", memMB)}
	}
	return &functions.RunError{Status: http.StatusBadGateway, Code: CodeSandboxCrash,
		Message: fmt.Sprintf("the sandbox running this function crashed (%v) and was restarted; the run was lost", exitErr)}
}

func killedBy(err error, sig syscall.Signal) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

// doom marks the process dying: retired from its slot first, so that a
// caller who finds it dying finds the slot without it.
func (p *process) doom() {
	p.slot.retire(p)
	p.mu.Lock()
	p.dying = true
	p.mu.Unlock()
}

// stop kills the sandbox; why is what its runs in progress are told.
func (p *process) stop(why string) {
	p.stopWith(&functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeSandboxRestarted,
		Message: "the sandbox running this function was stopped: " + why}, "")
}

// stopWith kills the sandbox, its runs in progress failing with re, and
// puts the death down to function culprit if set. It reports whether
// this call decided the death (the first to stop it).
func (p *process) stopWith(re *functions.RunError, culprit string) bool {
	p.slot.retire(p)
	p.mu.Lock()
	first := p.why == nil
	if first {
		p.why, p.culprit = re, culprit
	}
	p.dying = true
	p.mu.Unlock()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	return first
}

// drain retires the process: it takes no new call, finishes those it
// holds, then gets end of input and exits.
func (p *process) drain() {
	p.slot.retire(p)
	p.mu.Lock()
	p.dying, p.draining = true, true
	if p.why == nil {
		p.why = &functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeSandboxRestarted,
			Message: "the sandbox running this function was retired"}
	}
	idle := len(p.pending) == 0
	p.mu.Unlock()
	if idle {
		go p.closeInput()
	}
}

// closeInput stops the writer and closes the sandbox's stdin.
func (p *process) closeInput() {
	p.closeOnce.Do(func() {
		_ = p.stdin.close()
		_ = p.pipe.Close()
	})
}

func (p *process) execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	var flags byte
	if !p.hasCode.Contains(inv.Hash) {
		flags |= withCode
	}
	ver, fresh := p.version(inv)
	if fresh {
		flags |= withVersion
	}
	for attempt := 0; attempt < 3; attempt++ {
		resp, err := p.roundTrip(ctx, inv, ver.id, flags)
		if err != nil {
			return nil, err
		}
		if need := resp.need(); need&^flags != 0 {
			flags |= need // it evicted the program or the record: send them again
			continue
		} else if need != 0 {
			break // it was sent what it asks for
		}
		p.hasCode.Add(inv.Hash, struct{}{})
		if flags&withVersion != 0 {
			ver.confirmed.Store(true)
		}
		if resp.Err != nil {
			return nil, resp.Err
		}
		if resp.Result == nil {
			break
		}
		return resp.Result, nil
	}
	return nil, &functions.RunError{Status: http.StatusBadGateway, Code: CodeSandboxCrash, Message: "the sandbox gave no answer"}
}

// version returns the record of inv's version this sandbox is sent, and
// whether the record has to travel with the call: it is new, changed, or
// not yet known to have arrived.
func (p *process) version(inv *functions.Invocation) (*sentVersion, bool) {
	key := keyOf(inv)
	if v, ok := p.versions.Get(key); ok && v.rec.matches(inv) {
		return v, !v.confirmed.Load()
	}
	v := &sentVersion{id: p.nextVer.Add(1), rec: recordOf(inv)}
	p.versions.Add(key, v)
	return v, true
}

// kvCall serves a kv call of run id on the gateway's store, scoped to the
// tenant of that run; a call for a run the sandbox does not hold is dropped.
func (p *process) kvCall(id uint64, call *kvCall) {
	p.mu.Lock()
	run, ok := p.pending[id]
	p.mu.Unlock()
	if !ok {
		return
	}
	go func() {
		reply := functions.KVReply{Code: "unavailable", Error: "the kv store is not available on this gateway"}
		if cfg := p.slot.pool.cfg; cfg.KV != nil {
			ctx, cancel := context.WithTimeout(context.Background(), kvTimeout)
			reply = functions.DoKV(ctx, cfg.KV, run.tenant, cfg.KVQuota, call.Op)
			cancel()
		}
		r := kvReply{Call: call.Call, Reply: reply}
		_ = p.stdin.send(func(b []byte) ([]byte, error) { return appendKVReply(b, id, &r), nil })
	}()
}

// roundTrip sends one run and waits for its answer (see exchange).
func (p *process) roundTrip(ctx context.Context, inv *functions.Invocation, ver uint64, flags byte) (response, error) {
	run := pendingRun{tenant: inv.Function.Tenant, function: inv.Function.ID, memoryMB: inv.MemoryMB}
	if on := inv.OnLog; on != nil {
		run.live = func(_ int, l functions.LogLine) { on(l) }
	}
	return p.exchange(ctx, trip{
		encode: func(b []byte, id uint64) ([]byte, error) { return appendRun(b, id, inv, ver, flags) },
		run:    run,
		limit:  runTimeout(inv),
	})
}

// trip is one frame sent to the sandbox and the answer awaited.
type trip struct {
	encode func(b []byte, id uint64) ([]byte, error)
	run    pendingRun    // whose run it is (answer, sent and end are filled in)
	limit  time.Duration // its time limit: the watchdog fires at limit + grace
	// drain: when ctx ends, send the cancel and still wait for the answer
	// (a chain's, which says what its steps did), instead of returning.
	drain bool
	// overstay, if set, is asked when the watchdog fires: how long to
	// wait still (a chain whose steps have moved on), or 0 to kill the
	// sandbox, and the time limit of the run that overstayed.
	overstay func(grace time.Duration) (wait, limit time.Duration)
}

// exchange sends one frame and waits for its answer, the sandbox's death,
// or the watchdog: a run that overstays its time limit by the grace has
// its sandbox killed. A process known to be dying is not sent the frame,
// and a frame it died before reading comes back errNotDelivered.
func (p *process) exchange(ctx context.Context, t trip) (response, error) {
	id := p.slot.pool.nextID.Add(1)
	ch := make(chan response, 1)
	p.mu.Lock()
	if p.dying {
		p.mu.Unlock()
		return response{}, errNotDelivered
	}
	t.run.answer = ch
	p.pending[id] = t.run
	p.mu.Unlock()
	var end int64
	defer func() {
		p.mu.Lock()
		delete(p.pending, id)
		idle := p.draining && len(p.pending) == 0
		p.mu.Unlock()
		if idle {
			go p.closeInput()
		}
	}()

	queued := func(at int64) {
		end = at
		p.mu.Lock()
		if run, ok := p.pending[id]; ok {
			run.end, run.sent = at, time.Now()
			p.pending[id] = run
		}
		p.mu.Unlock()
	}
	err := p.stdin.sendAt(func(b []byte) ([]byte, error) { return t.encode(b, id) }, queued)
	if errors.Is(err, errFrameTooLarge) {
		return response{}, &functions.RunError{Status: http.StatusRequestEntityTooLarge, Code: "payload_too_large",
			Message: fmt.Sprintf("the invocation is larger than the sandbox's %d MiB frame", maxFrame>>20)}
	}
	if err != nil {
		// The writer stops only when the pipe broke: the sandbox is gone.
		select {
		case <-p.dead:
			return response{}, errNotDelivered
		case <-time.After(time.Second):
			return response{}, &functions.RunError{Status: http.StatusBadGateway, Code: CodeSandboxCrash, Message: "could not reach the sandbox: " + err.Error()}
		}
	}

	timeout := t.limit
	watchdog := reuse.StartTimer(timeout + p.slot.pool.cfg.Grace)
	defer reuse.StopTimer(watchdog)
	done := ctx.Done()
	for {
		select {
		case resp := <-ch:
			return resp, nil
		case <-p.dead:
			if end > p.readBytes {
				return response{}, errNotDelivered
			}
			return response{}, p.deathErr
		case <-watchdog.C:
			grace := p.slot.pool.cfg.Grace
			if t.overstay != nil {
				wait, limit := t.overstay(grace)
				if wait > 0 {
					watchdog.Reset(wait)
					continue
				}
				timeout = limit
			}
			run := t.run.running(p.board)
			fn, tenant := run.function, run.tenant
			if p.stopWith(&functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeSandboxRestarted,
				Message: fmt.Sprintf("the sandbox running this function was stopped: another run on it overstayed its time limit by more than %v", grace)},
				fn) {
				p.slot.pool.offence(fn, tenant, fmt.Sprintf("a run overstayed its time limit of %d ms by %v and would not stop", timeout.Milliseconds(), grace))
			}
			// Its clock died with the sandbox. A run that ignores its interrupt
			// is inside a long built-in, busy all along: charge it the time it
			// held its thread, or such runs would be free of the CPU budget.
			return response{}, &functions.RunError{Status: http.StatusGatewayTimeout, Code: functions.CodeTimeout,
				Message: fmt.Sprintf("function exceeded its time limit of %d ms and did not stop; its sandbox was killed", timeout.Milliseconds()),
				CPU:     timeout + p.slot.pool.cfg.Grace}
		case <-done:
			_ = p.stdin.send(func(b []byte) ([]byte, error) { return appendCancel(b, id), nil }) // best effort
			if !t.drain {
				return response{}, canceled(ctx) // the answer, if any, is dropped
			}
			done = nil // the answer says where the cancel stopped it
		}
	}
}

// tail logs a sandbox's stderr, keeps its end for context, and notes a
// memory error as it passes: a Go process out of address space dies with
// a fatal error from the heap allocator ("out of memory"; under -race,
// "address space collisions" or the race runtime's "failed to allocate"),
// or, when it is a new thread's stack that does not fit, from thread
// creation ("failed to create new OS thread … errno=12", ENOMEM),
// followed by a goroutine dump that can be far longer than what is kept.
type tail struct {
	log    *slog.Logger
	slot   int
	mu     sync.Mutex
	buf    []byte
	memory bool
}

var memoryErrors = []string{"out of memory", "address space", "mheap).grow", "failed to allocate", "errno=12", "cannot allocate memory"}

func (t *tail) Write(b []byte) (int, error) {
	t.mu.Lock()
	// Look at the new bytes with the end of the old, for a message split across writes.
	window := string(t.buf[max(0, len(t.buf)-64):]) + string(b)
	for _, m := range memoryErrors {
		if strings.Contains(window, m) {
			t.memory = true
		}
	}
	t.buf = append(t.buf, b...)
	if len(t.buf) > 16<<10 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-8<<10:]...)
	}
	t.mu.Unlock()
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line != "" {
			t.log.Debug("sandbox stderr", slog.Int("slot", t.slot), slog.String("line", line))
		}
	}
	return len(b), nil
}

func (t *tail) sawMemoryError() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.memory
}
