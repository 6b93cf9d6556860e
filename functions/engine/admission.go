package engine

import "hash/maphash"

// admission decides whether a runtime coming back from a call may take
// the place of the least recently used idle one when the pool is full.
// Plain LRU keeps nothing useful when calls cycle over more functions
// than the pool holds (a round robin, a sweep by a scheduler, a partner
// walking its list): each runtime is evicted just before its function is
// called again, so every call builds one. As in TinyLFU (Einziger,
// Friedman and Manes, "TinyLFU: A Highly Efficient Cache Admission
// Policy", 2017), a newcomer only displaces a runtime whose function was
// called less often lately; on a tie the pool keeps what it has, so a
// cycle over too many functions still finds the ones it holds warm.
//
// Frequencies come from a count-min sketch (four counters per key, the
// smallest is the estimate), halved after every sampleSize calls so that
// what was hot an hour ago does not stay ahead for ever.
type admission struct {
	seed       maphash.Seed
	counts     []uint8 // four rows of width counters
	shift      uint    // 64 - log2(width)
	calls      int
	sampleSize int
}

func newAdmission(capacity int) *admission {
	width, shift := 1024, uint(54)
	for width < capacity {
		width, shift = width<<1, shift-1
	}
	return &admission{seed: maphash.MakeSeed(), counts: make([]uint8, 4*width), shift: shift, sampleSize: 10 * width}
}

func (a *admission) hash(k warmKey) uint64 { return maphash.Comparable(a.seed, k) }

// rowMix are odd multipliers: each row takes the top bits of h times its
// own, so the four counters of a key are spread independently.
var rowMix = [4]uint64{0x9e3779b97f4a7c15, 0xc2b2ae3d27d4eb4f, 0x165667b19e3779f9, 0xd6e8feb86659fd93}

// slots are the key's four counters, one per row, from one 64-bit hash.
func (a *admission) slots(h uint64) [4]int {
	var s [4]int
	width := len(a.counts) / 4
	for i, m := range rowMix {
		s[i] = i*width + int((h*m)>>a.shift)
	}
	return s
}

// called counts one call of the key with hash h.
func (a *admission) called(h uint64) {
	for _, i := range a.slots(h) {
		if a.counts[i] < 255 {
			a.counts[i]++
		}
	}
	if a.calls++; a.calls >= a.sampleSize {
		a.calls = 0
		for i := range a.counts {
			a.counts[i] >>= 1
		}
	}
}

// frequency is the estimated number of recent calls of the key with hash h.
func (a *admission) frequency(h uint64) uint8 {
	low := uint8(255)
	for _, i := range a.slots(h) {
		low = min(low, a.counts[i])
	}
	return low
}
