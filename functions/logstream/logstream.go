// Package logstream fans the console lines of runs out to the clients
// that follow a function's logs (GET /v1/functions/{id}/logs?follow=1).
//
// Runs never wait for followers: Publish hands a line to each follower's
// bounded buffer or, when the buffer is full, counts it as dropped for
// that follower, who is told how many it missed. With nobody following
// at all, Following and Publish are one atomic load.
package logstream

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Line is one console line of one run of a function.
type Line struct {
	RequestID string    `json:"request_id"`
	Time      time.Time `json:"time"`
	Level     string    `json:"level"`
	Message   string    `json:"message"`
}

// LineOf tags a run's console line with the run's request id.
func LineOf(requestID string, l functions.LogLine) Line {
	return Line{RequestID: requestID, Time: l.Time, Level: l.Level, Message: l.Message}
}

// DefaultBuffer is a follower's buffer when Follow is given none.
const DefaultBuffer = 1024

// Hub keeps the followers of each function. The zero value is not
// usable; make one with New.
type Hub struct {
	count atomic.Int64 // followers of every function: the fast path's test
	mu    sync.RWMutex
	byFn  map[string]map[*Follower]struct{}
}

// New makes an empty hub.
func New() *Hub { return &Hub{byFn: map[string]map[*Follower]struct{}{}} }

// Follower receives the lines of one function at or above a level.
type Follower struct {
	hub      *Hub
	function string
	minLevel int
	lines    chan Line
	dropped  atomic.Uint64
	once     sync.Once
}

// Follow starts following functionID's lines of minLevel (a
// functions.LevelRank) or above, with room for buffer lines not yet
// taken (DefaultBuffer when buffer <= 0). The caller must Close it.
func (h *Hub) Follow(functionID string, minLevel, buffer int) *Follower {
	if buffer <= 0 {
		buffer = DefaultBuffer
	}
	f := &Follower{hub: h, function: functionID, minLevel: minLevel, lines: make(chan Line, buffer)}
	h.mu.Lock()
	set := h.byFn[functionID]
	if set == nil {
		set = map[*Follower]struct{}{}
		h.byFn[functionID] = set
	}
	set[f] = struct{}{}
	h.count.Add(1)
	h.mu.Unlock()
	return f
}

// Following tells whether anyone follows functionID: a run asks once,
// and only then listens to its lines as they come.
func (h *Hub) Following(functionID string) bool {
	if h == nil || h.count.Load() == 0 {
		return false
	}
	h.mu.RLock()
	n := len(h.byFn[functionID])
	h.mu.RUnlock()
	return n > 0
}

// Followers is how many followers there are, of every function.
func (h *Hub) Followers() int { return int(h.count.Load()) }

// Publish hands l to functionID's followers without ever waiting: a
// follower whose buffer is full misses it, and is told so (Dropped).
func (h *Hub) Publish(functionID string, l Line) {
	if h == nil || h.count.Load() == 0 {
		return
	}
	rank := functions.LevelRank(l.Level)
	h.mu.RLock()
	defer h.mu.RUnlock()
	for f := range h.byFn[functionID] {
		if rank < f.minLevel {
			continue
		}
		select {
		case f.lines <- l:
		default:
			f.dropped.Add(1)
		}
	}
}

// Lines delivers the lines, in the order they were published.
func (f *Follower) Lines() <-chan Line { return f.lines }

// TakeDropped returns how many lines the follower missed since the last
// call. Lines still buffered were published before those it missed, so
// a reader reports the count once it has taken what is buffered.
func (f *Follower) TakeDropped() uint64 { return f.dropped.Swap(0) }

// Close stops following; lines still buffered are left unread.
func (f *Follower) Close() {
	f.once.Do(func() {
		h := f.hub
		h.mu.Lock()
		if set := h.byFn[f.function]; set != nil {
			delete(set, f)
			if len(set) == 0 {
				delete(h.byFn, f.function)
			}
		}
		h.count.Add(-1)
		h.mu.Unlock()
	})
}
