package engine

import (
	"fmt"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// heapWatch is the in-process safety net behind the allocation guards.
// Some allocations cannot be guarded (s += s doubles a string each step,
// and the language operator calls no built-in we could wrap), and goja has
// no heap limit. So a goroutine samples the Go heap, and when it passes
// the limit every run in progress is interrupted: a memory bomb then fails
// its neighbours' runs instead of killing the process. The sandbox
// processes of a later issue make this a per-tenant boundary.
type heapWatch struct {
	limit  uint64
	every  time.Duration
	shed   func() // frees what can go before runs are stopped (idle warm runtimes)
	mu     sync.Mutex
	active map[*run]struct{}
	trips  atomic.Uint64
	stop   chan struct{}
	done   chan struct{}
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func newHeapWatch(limit uint64, every time.Duration, shed func()) *heapWatch {
	h := &heapWatch{limit: limit, every: every, shed: shed, active: map[*run]struct{}{},
		stop: make(chan struct{}), done: make(chan struct{})}
	go h.loop()
	return h
}

func (h *heapWatch) add(r *run) {
	h.mu.Lock()
	h.active[r] = struct{}{}
	h.mu.Unlock()
}

func (h *heapWatch) remove(r *run) {
	h.mu.Lock()
	delete(h.active, r)
	h.mu.Unlock()
}

func (h *heapWatch) loop() {
	defer close(h.done)
	sample := []metrics.Sample{{Name: heapMetric}}
	tick := time.NewTicker(h.every)
	defer tick.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-tick.C:
		}
		if !h.over(sample) {
			continue
		}
		// The sample counts garbage not yet swept, and with a high GOGC
		// that can be most of it: collect, then look again.
		if h.shed != nil {
			h.shed()
		}
		runtime.GC()
		if !h.over(sample) {
			continue
		}
		h.mu.Lock()
		if len(h.active) > 0 {
			h.trips.Add(1)
		}
		for r := range h.active {
			r.interrupt(interruption{functions.CodeMemoryLimit, fmt.Sprintf(
				"the gateway's heap passed its limit of %d MiB while this function ran; runs in progress were stopped", h.limit>>20)})
		}
		h.mu.Unlock()
	}
}

func (h *heapWatch) over(sample []metrics.Sample) bool {
	metrics.Read(sample)
	return sample[0].Value.Kind() == metrics.KindUint64 && sample[0].Value.Uint64() > h.limit
}

func (h *heapWatch) close() {
	close(h.stop)
	<-h.done
}

// interruptStatus is the HTTP status of a run stopped by an interruption.
func interruptStatus(code string) int {
	switch code {
	case functions.CodeTimeout:
		return http.StatusGatewayTimeout
	case functions.CodeMemoryLimit:
		// Every run in progress is stopped, not only the culprit: a retry
		// will most likely succeed.
		return http.StatusServiceUnavailable
	}
	return functions.StatusCancelled
}
