package sandbox

import (
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The board: which step of each chain a sandbox is running. A chain
// goes to a sandbox in one frame, so the gateway does not see its steps
// start; but a death or an overstay must be put down to the function of
// the step that was running (quarantine), and its run record must be
// that step's. A progress frame per step would cost a pipe write and a
// wake-up each, much of what one frame per chain saves; so the sandbox
// writes the step's number into a slot of a page of memory shared with
// the gateway (a memfd it inherits as file descriptor 3), and the
// gateway reads it only when it needs to know. A sandbox can only lie
// about which step of its own chain was running.

const (
	boardSlots = 1024 // chains in flight per sandbox that the board follows
	boardFD    = 3    // the board's descriptor in the sandbox
)

// board is the gateway's side: the shared page and its free slots.
// Slot 0 is never handed out: a frame naming it has no slot.
type board struct {
	mu    sync.Mutex
	mem   []byte   // nil once unmapped
	slots []uint64 // the page's slots; after close, a copy of them
	free  []uint32
}

// A slot holds the step's number (from 1; 0: none yet) in its low 16
// bits and the wall-clock time it started, in unix milliseconds, above.
const stepBits = 16

// newBoard makes a board and returns the file to hand the sandbox; the
// caller closes it once the sandbox has started.
func newBoard() (*board, *os.File, error) {
	fd, err := unix.MemfdCreate("scriptforge-board", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, nil, err
	}
	f := os.NewFile(uintptr(fd), "board")
	if err := f.Truncate(boardSlots * 8); err != nil {
		f.Close()
		return nil, nil, err
	}
	mem, err := unix.Mmap(fd, 0, boardSlots*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	b := &board{mem: mem, slots: unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), boardSlots)}
	for i := uint32(boardSlots - 1); i > 0; i-- {
		b.free = append(b.free, i)
	}
	return b, f, nil
}

// take returns a free slot, cleared, or 0 when none is free.
func (b *board) take() uint32 {
	if b == nil {
		return 0
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.free) == 0 || b.mem == nil {
		return 0
	}
	s := b.free[len(b.free)-1]
	b.free = b.free[:len(b.free)-1]
	atomic.StoreUint64(&b.slots[s], 0)
	return s
}

func (b *board) give(s uint32) {
	if b == nil || s == 0 {
		return
	}
	b.mu.Lock()
	b.free = append(b.free, s)
	b.mu.Unlock()
}

// step is the step slot s says is running: its index in the frame and
// when it started, or -1 when the slot says nothing yet (or there is no
// slot).
func (b *board) step(s uint32) (int, time.Time) {
	if b == nil || s == 0 {
		return -1, time.Time{}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	v := atomic.LoadUint64(&b.slots[s])
	return int(v&(1<<stepBits-1)) - 1, time.UnixMilli(int64(v >> stepBits))
}

// close unmaps the page of a dead sandbox, keeping what it said last:
// the runs it held read it after its death.
func (b *board) close() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mem != nil {
		last := make([]uint64, boardSlots)
		for i := range last {
			last[i] = atomic.LoadUint64(&b.slots[i])
		}
		_ = unix.Munmap(b.mem)
		b.mem, b.slots = nil, last
	}
}

// childBoard is the sandbox's side: the same page, written to.
type childBoard struct{ slots []uint64 }

// openChildBoard maps the board the gateway handed down, if it did.
func openChildBoard() *childBoard {
	var st unix.Stat_t
	if unix.Fstat(boardFD, &st) != nil || st.Size != boardSlots*8 {
		return nil // started by something else than a pool (a test)
	}
	mem, err := unix.Mmap(boardFD, 0, boardSlots*8, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	_ = unix.Close(boardFD)
	if err != nil {
		return nil
	}
	return &childBoard{slots: unsafe.Slice((*uint64)(unsafe.Pointer(&mem[0])), boardSlots)}
}

// set notes that step i (from 0) of the chain on slot s is starting now.
func (b *childBoard) set(s uint32, i int) {
	if b == nil || s == 0 || s >= boardSlots || i+1 >= 1<<stepBits {
		return
	}
	atomic.StoreUint64(&b.slots[s], uint64(time.Now().UnixMilli())<<stepBits|uint64(i+1))
}
