package sandbox

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
)

// Cgroups caps sandboxes' memory with cgroup v2: each sandbox process is
// started inside a cgroup of its own (clone3 with CLONE_INTO_CGROUP, so it
// never runs a moment uncapped) whose memory.max is the sandbox's cap. The
// kernel then counts everything the process touches, which RLIMIT_AS (the
// fallback) cannot: RLIMIT_AS caps address space, so it must leave room
// for what the Go runtime reserves and never uses.
//
// The cgroups are made under the gateway's own cgroup, which must be
// delegated to it (a container's root cgroup, or a systemd unit with
// Delegate=yes) and offer the memory controller.
type Cgroups struct {
	dir  string // the gateway's cgroup, parent of the sandboxes'
	next atomic.Uint64
}

// ErrNoCgroups says why memory cannot be capped with cgroup v2 here.
var ErrNoCgroups = errors.New("cgroup v2 memory control is not available")

// OpenCgroups prepares the gateway's cgroup to hold sandbox cgroups. It
// fails, wrapping ErrNoCgroups, where cgroup v2 or its memory controller is
// missing or the gateway may not create cgroups; callers then fall back to
// RLIMIT_AS.
func OpenCgroups() (*Cgroups, error) {
	mount, err := cgroup2Mount("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	self, err := ownCgroup("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	return openCgroups(filepath.Join(mount, self), os.Getpid())
}

// openCgroups does OpenCgroups' work on dir, the gateway's cgroup.
func openCgroups(dir string, pid int) (*Cgroups, error) {
	controllers, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCgroups, err)
	}
	if !hasWord(string(controllers), "memory") {
		return nil, fmt.Errorf("%w: the gateway's cgroup %s offers no memory controller (it has: %q)", ErrNoCgroups, dir, strings.TrimSpace(string(controllers)))
	}
	if err := enableMemory(dir, pid); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoCgroups, err)
	}
	return &Cgroups{dir: dir}, nil
}

// enableMemory turns the memory controller on for dir's children. cgroup
// v2 lets a cgroup hand controllers to its children only while it holds no
// process itself, so when the gateway sits in dir it first moves into a
// leaf of its own, dir/gateway.
func enableMemory(dir string, pid int) error {
	control := filepath.Join(dir, "cgroup.subtree_control")
	if current, err := os.ReadFile(control); err == nil && hasWord(string(current), "memory") {
		return nil
	}
	err := os.WriteFile(control, []byte("+memory"), 0)
	if err == nil {
		return nil
	}
	if !errors.Is(err, syscall.EBUSY) {
		return fmt.Errorf("enabling the memory controller in %s: %w", dir, err)
	}
	leaf := filepath.Join(dir, "gateway")
	if err := os.Mkdir(leaf, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("creating %s: %w", leaf, err)
	}
	if err := os.WriteFile(filepath.Join(leaf, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0); err != nil {
		return fmt.Errorf("moving the gateway into %s: %w", leaf, err)
	}
	if err := os.WriteFile(control, []byte("+memory"), 0); err != nil {
		return fmt.Errorf("enabling the memory controller in %s: %w", dir, err)
	}
	return nil
}

// cgroup is one sandbox's cgroup. It outlives the process: a restarted
// sandbox goes into the same one.
type cgroup struct {
	dir string
}

// newCgroup creates a cgroup for one sandbox capped at maxBytes, with no swap
// to spill into.
func (c *Cgroups) newCgroup(maxBytes uint64) (*cgroup, error) {
	dir := filepath.Join(c.dir, fmt.Sprintf("sandbox-%d-%d", os.Getpid(), c.next.Add(1)))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the sandbox cgroup: %w", err)
	}
	cg := &cgroup{dir: dir}
	if err := os.WriteFile(filepath.Join(dir, "memory.max"), []byte(strconv.FormatUint(maxBytes, 10)), 0); err != nil {
		cg.remove()
		return nil, fmt.Errorf("setting memory.max of %s: %w", dir, err)
	}
	// Absent when the kernel has no swap accounting: then there is no swap to limit.
	_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0)
	return cg, nil
}

// open returns a descriptor of the cgroup's directory for
// SysProcAttr.CgroupFD; the caller closes it once the process started.
func (cg *cgroup) open() (*os.File, error) {
	return os.Open(cg.dir)
}

// oomKills is how many times the kernel killed a process in the cgroup for
// going over memory.max.
func (cg *cgroup) oomKills() int {
	b, err := os.ReadFile(filepath.Join(cg.dir, "memory.events"))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "oom_kill "); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(rest))
			return n
		}
	}
	return 0
}

// remove deletes the cgroup; it must hold no process any more.
func (cg *cgroup) remove() { _ = os.Remove(cg.dir) }

// cgroup2Mount finds where the cgroup v2 hierarchy is mounted.
func cgroup2Mount(mountinfo string) (string, error) {
	f, err := os.Open(mountinfo)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoCgroups, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// "36 35 0:30 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw": the
		// fields after " - " are the file system type and source.
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields := strings.Fields(pre)
		if ok && len(fields) >= 5 && strings.HasPrefix(post, "cgroup2 ") {
			return fields[4], nil
		}
	}
	return "", fmt.Errorf("%w: no cgroup2 file system is mounted", ErrNoCgroups)
}

// ownCgroup reads the process's cgroup v2 path ("0::/path").
func ownCgroup(procCgroup string) (string, error) {
	b, err := os.ReadFile(procCgroup)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoCgroups, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if path, ok := strings.CutPrefix(line, "0::"); ok {
			return path, nil
		}
	}
	return "", fmt.Errorf("%w: the process is in no cgroup v2 group", ErrNoCgroups)
}

func hasWord(s, word string) bool {
	for _, w := range strings.Fields(s) {
		if w == word {
			return true
		}
	}
	return false
}

// cappedByCgroup reports whether this process's own cgroup v2 group caps
// its memory at or below limit plus slack: a sandbox the gateway started in
// a cgroup then needs no RLIMIT_AS.
func cappedByCgroup(limit uint64) bool {
	mount, err := cgroup2Mount("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	self, err := ownCgroup("/proc/self/cgroup")
	if err != nil {
		return false
	}
	b, err := os.ReadFile(filepath.Join(mount, self, "memory.max"))
	if err != nil {
		return false
	}
	max, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	return err == nil && max <= limit+cgroupSlack
}

// cgroupSlack is what a sandbox's cgroup allows beyond its functions'
// budget: the Go runtime, the program cache and goja's own structures.
const cgroupSlack = 256 << 20
