package sandbox

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/scriptforge/scriptforge/functions"
)

// Error codes of runs lost with their sandbox.
const (
	CodeSandboxCrash     = "sandbox_crash"     // the sandbox died for another reason
	CodeSandboxRestarted = "sandbox_restarted" // another run's overstay had it stopped
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
	// KV is the store of the kv module, with each tenant's quota; without
	// it, kv calls fail as unavailable.
	KV      functions.KVStore
	KVQuota functions.KVQuota
}

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
	p := &Pool{cfg: cfg, log: cfg.Logger, done: make(chan struct{})}
	for i := range cfg.Size {
		p.slots = append(p.slots, &slot{pool: p, index: i, ready: make(chan struct{})})
	}
	return p
}

// Start launches every sandbox; it fails if one cannot start at all.
func (p *Pool) Start() error {
	for _, s := range p.slots {
		if err := s.start(); err != nil {
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
	for _, s := range p.slots {
		if proc := s.current(); proc != nil {
			proc.stop("the gateway is shutting down")
		}
	}
}

// Restarts is how many times a sandbox was started again after dying.
func (p *Pool) Restarts() uint64 { return p.restarts.Load() }

// Execute runs inv in the sandbox of its tenant (one tenant's runs share a
// sandbox, so a tenant's bomb costs other tenants as little as possible).
func (p *Pool) Execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	h := fnv.New32a()
	_, _ = h.Write([]byte(inv.Function.Tenant))
	s := p.slots[int(h.Sum32()%uint32(len(p.slots)))]
	proc, err := s.wait(ctx)
	if err != nil {
		return nil, err
	}
	return proc.execute(ctx, inv)
}

// slot is one place in the pool; its process is replaced when it dies.
type slot struct {
	pool  *Pool
	index int

	mu       sync.Mutex
	proc     *process      // nil while (re)starting
	ready    chan struct{} // closed when proc is set
	failures int           // consecutive quick deaths, for backoff
	cgroup   *cgroup       // with Config.Cgroups: made at the first start, kept across restarts
}

func (s *slot) current() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// wait returns the slot's live process, waiting for a restart in progress.
func (s *slot) wait(ctx context.Context) (*process, error) {
	for {
		s.mu.Lock()
		proc, ready := s.proc, s.ready
		s.mu.Unlock()
		if proc != nil {
			return proc, nil
		}
		if s.pool.closed.Load() {
			return nil, &functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeSandboxCrash, Message: "the gateway is shutting down"}
		}
		select {
		case <-ready:
		case <-s.pool.done:
		case <-ctx.Done():
			return nil, &functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeSandboxCrash,
				Message: "no sandbox was available: it is restarting after a crash"}
		}
	}
}

func (s *slot) start() error {
	proc, err := startProcess(s)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.proc = proc
	close(s.ready)
	s.mu.Unlock()
	s.pool.log.Info("sandbox started", slog.Int("slot", s.index), slog.Int("pid", proc.cmd.Process.Pid))
	return nil
}

// died replaces a dead process, after a backoff when it keeps dying fast.
func (s *slot) died(proc *process, lived time.Duration) {
	s.mu.Lock()
	if s.proc != proc {
		s.mu.Unlock()
		return
	}
	s.proc = nil
	s.ready = make(chan struct{})
	if lived < 10*time.Second {
		s.failures++
	} else {
		s.failures = 0
	}
	backoff := time.Duration(0)
	if s.failures > 1 {
		backoff = min(10*time.Millisecond<<min(s.failures, 10), 5*time.Second)
	}
	s.mu.Unlock()
	if s.pool.closed.Load() {
		return
	}
	go func() {
		time.Sleep(backoff)
		for !s.pool.closed.Load() {
			if err := s.start(); err == nil {
				s.pool.restarts.Add(1)
				return
			} else {
				s.pool.log.Error("restarting a sandbox", slog.Int("slot", s.index), slog.Any("error", err))
			}
			time.Sleep(time.Second)
		}
	}()
}

// memoryCgroup returns the slot's cgroup, creating it on first use; nil
// without Config.Cgroups.
func (s *slot) memoryCgroup() (*cgroup, error) {
	cgs := s.pool.cfg.Cgroups
	if cgs == nil {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cgroup == nil {
		cg, err := cgs.newCgroup(uint64(s.pool.cfg.MemoryMB)<<20 + cgroupSlack)
		if err != nil {
			return nil, err
		}
		s.cgroup = cg
	}
	return s.cgroup, nil
}

// pendingRun is a run a sandbox holds: where its answer goes, and whose
// kv store its kv calls reach.
type pendingRun struct {
	answer chan response
	tenant string
}

// process is one running sandbox.
type process struct {
	slot    *slot
	cmd     *exec.Cmd
	started time.Time

	stdin *frameWriter

	mu      sync.Mutex
	pending map[uint64]pendingRun
	why     *functions.RunError // set when it was stopped on purpose

	dead      chan struct{} // closed when the process has exited
	deathErr  *functions.RunError
	hasCode   *lru.Cache[string, struct{}] // hashes whose code it has been sent
	stderrEnd *tail
	oomBefore int // the cgroup's OOM kills before this process started
}

func startProcess(s *slot) (*process, error) {
	cmd := s.pool.cfg.Command()
	cmd.Env = append([]string{}, s.pool.cfg.Env...) // nothing of the gateway's environment
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
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	t := &tail{log: s.pool.log, slot: s.index}
	cmd.Stderr = t
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting a sandbox: %w", err)
	}
	hasCode, _ := lru.New[string, struct{}](4096)
	p := &process{
		slot: s, cmd: cmd, started: time.Now(),
		stdin:   newFrameWriter(stdin),
		pending: map[uint64]pendingRun{}, dead: make(chan struct{}),
		hasCode: hasCode, stderrEnd: t, oomBefore: oomBefore,
	}
	go p.readLoop(stdout)
	return p, nil
}

func (p *process) readLoop(stdout io.Reader) {
	in := bufio.NewReaderSize(stdout, 64<<10)
	for {
		var resp response
		if err := readFrame(in, &resp); err != nil {
			break
		}
		if resp.KV != nil {
			p.kvCall(resp.ID, resp.KV)
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
	err := p.cmd.Wait()
	p.deathErr = p.cause(err)
	close(p.dead)
	_ = p.stdin.close() // its pipe is broken: this only stops the writer
	if p.slot.pool.closed.Load() && p.slot.cgroup != nil {
		p.slot.cgroup.remove()
	}
	p.slot.pool.log.Warn("sandbox exited", slog.Int("slot", p.slot.index), slog.Int("pid", p.cmd.Process.Pid),
		slog.String("cause", p.deathErr.Message), slog.Any("exit", err))
	p.slot.died(p, time.Since(p.started))
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

// stop kills the sandbox; why is what its runs in progress are told.
func (p *process) stop(why string) {
	p.stopWith(&functions.RunError{Status: http.StatusServiceUnavailable, Code: CodeSandboxRestarted,
		Message: "the sandbox running this function was stopped: " + why})
}

func (p *process) stopWith(re *functions.RunError) {
	p.mu.Lock()
	if p.why == nil {
		p.why = re
	}
	p.mu.Unlock()
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

func (p *process) execute(ctx context.Context, inv *functions.Invocation) (*functions.Result, error) {
	sendCode := !p.hasCode.Contains(inv.Hash)
	for attempt := 0; attempt < 2; attempt++ {
		resp, err := p.roundTrip(ctx, inv, sendCode)
		if err != nil {
			return nil, err
		}
		if resp.NeedCode && !sendCode {
			sendCode = true // it evicted the program: send the code again
			continue
		}
		p.hasCode.Add(inv.Hash, struct{}{})
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
		_ = p.send(request{ID: id, KVReply: &kvReply{Call: call.Call, Reply: reply}})
	}()
}

// send writes one frame to the sandbox.
func (p *process) send(req request) error {
	frame, err := encodeFrame(req)
	if err != nil {
		return err
	}
	return p.stdin.send(frame)
}

// roundTrip sends one request and waits for its answer, the sandbox's
// death, or the watchdog: a run that overstays its time limit by the
// grace has its sandbox killed.
func (p *process) roundTrip(ctx context.Context, inv *functions.Invocation, withCode bool) (response, error) {
	id := p.slot.pool.nextID.Add(1)
	ch := make(chan response, 1)
	p.mu.Lock()
	p.pending[id] = pendingRun{answer: ch, tenant: inv.Function.Tenant}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		delete(p.pending, id)
		p.mu.Unlock()
	}()

	send := *inv
	if !withCode {
		send.Code = ""
	}
	if err := p.send(request{ID: id, Inv: &send}); err != nil {
		select {
		case <-p.dead:
			return response{}, p.deathErr
		case <-time.After(time.Second):
			return response{}, &functions.RunError{Status: http.StatusBadGateway, Code: CodeSandboxCrash, Message: "could not reach the sandbox: " + err.Error()}
		}
	}

	timeout := inv.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	watchdog := time.NewTimer(timeout + p.slot.pool.cfg.Grace)
	defer watchdog.Stop()
	select {
	case resp := <-ch:
		return resp, nil
	case <-p.dead:
		return response{}, p.deathErr
	case <-watchdog.C:
		p.stop(fmt.Sprintf("another run on it overstayed its time limit by more than %v", p.slot.pool.cfg.Grace))
		// Its clock died with the sandbox. A run that ignores its interrupt
		// is inside a long built-in, busy all along: charge it the time it
		// held its thread, or such runs would be free of the CPU budget.
		return response{}, &functions.RunError{Status: http.StatusGatewayTimeout, Code: functions.CodeTimeout,
			Message: fmt.Sprintf("function exceeded its time limit of %d ms and did not stop; its sandbox was killed", timeout.Milliseconds()),
			CPU:     timeout + p.slot.pool.cfg.Grace}
	case <-ctx.Done():
		_ = p.send(request{ID: id, Cancel: true}) // best effort: the answer, if any, is dropped
		return response{}, &functions.RunError{Status: 499, Code: "canceled", Message: "the run was cancelled: " + context.Cause(ctx).Error()}
	}
}

// tail logs a sandbox's stderr, keeps its end for context, and notes a
// memory error as it passes: a Go process out of address space dies with
// a fatal error from the heap allocator ("out of memory"; under -race,
// "address space collisions" or the race runtime's "failed to allocate"),
// followed by a goroutine dump that can be far longer than what is kept.
type tail struct {
	log    *slog.Logger
	slot   int
	mu     sync.Mutex
	buf    []byte
	memory bool
}

var memoryErrors = []string{"out of memory", "address space", "mheap).grow", "failed to allocate"}

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
