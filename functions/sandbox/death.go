package sandbox

import (
	"os"
	"syscall"
	"unsafe"
)

// A sandbox's death: which calls it never read (those run on the next
// process), and whom the death is put down to.

// delivered is how many bytes of the stream the dead sandbox had read:
// those written into the pipe less those still in it. A frame that ends
// past it never reached the sandbox whole, so its run never started.
// (Bytes the sandbox had read ahead but not yet parsed count as
// delivered: such a frame fails with the sandbox rather than running twice.)
func (p *process) delivered() int64 {
	written := p.stdin.written.Load()
	unread, err := pipeUnread(p.pipe)
	if err != nil {
		return written // cannot tell: take everything as delivered
	}
	return written - int64(unread)
}

// pipeUnread is the number of bytes in a pipe nobody has read yet.
func pipeUnread(f *os.File) (int, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int32
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		_, _, errno = syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCINQ, uintptr(unsafe.Pointer(&n)))
	}); err != nil {
		return 0, err
	}
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// watchdogCulprit is the function whose overstaying run had the
// watchdog kill the sandbox: that attribution is exact.
func (p *process) watchdogCulprit() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.culprit
}

// suspect names the function a memory death is put down to. It has
// suspects only: the runs the sandbox had read. We rank them by two
// signs, in order:
//   - A memory budget of at least the heap watcher's line (3/4 of the
//     sandbox's cap). The engine's guards let a run allocate up to its
//     budget in one go; a budget below the line fits in the sandbox, and
//     growth in small steps is stopped by the watcher, so a run below it
//     rarely kills a sandbox, and one above it can with a single
//     allocation the guards allow ('x'.repeat(450e6) at 1024 MB in a
//     128 MB sandbox).
//   - The time in flight. A bomb allocates for milliseconds to hundreds
//     of them before the kernel or the Go runtime gives up, while a
//     steady neighbour's runs last microseconds, so at the death the
//     bomb is nearly always the oldest run held.
//
// A neighbour can still be blamed when it outranks the bomb (a long
// legitimate run, awaiting a slow fetch, with a big budget). Once costs it
// nothing: quarantine takes two kills within ten minutes, while the
// attacker is a suspect at every death it causes. A death with no run
// read is put down to nobody.
func (p *process) suspect() (function, tenant string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	line := p.slot.pool.cfg.MemoryMB * 3 / 4
	var best pendingRun
	for _, run := range p.pending {
		if run.end == 0 || run.end > p.readBytes {
			continue // never reached it: not a suspect
		}
		run = run.running(p.board)
		big, bestBig := run.memoryMB >= line, best.memoryMB >= line
		if best.function == "" || (big && !bestBig) || (big == bestBig && run.sent.Before(best.sent)) {
			best = run
		}
	}
	p.culprit = best.function
	return best.function, best.tenant
}
