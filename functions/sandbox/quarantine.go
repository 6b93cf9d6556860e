package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// CodeQuarantined refuses a call of a quarantined function that has no
// sandbox of its own to run in.
const CodeQuarantined = "quarantined"

// Quarantine is a function's quarantine: it killed its sandbox (ran it
// out of memory, or had a run that would not stop) twice within ten
// minutes, so until Until its calls run only in a sandbox of its own.
type Quarantine struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// Offences is the sandbox kills attributed to the function (forgotten
	// after a day without one, or when an operator lifts the quarantine).
	Offences int    `json:"offences"`
	Reason   string `json:"reason"`
}

// QuarantineStats are the pool's quarantine figures for /metrics.
type QuarantineStats struct {
	Active int    // functions quarantined now
	Total  uint64 // times a function was put in quarantine
}

// quarantineRules are the thresholds of Config, defaults applied.
type quarantineRules struct {
	kills    int           // kills within window that quarantine
	window   time.Duration // 10 min
	cooldown time.Duration // first quarantine; doubles per further offence
	max      time.Duration // cap of the cool-down
	forget   time.Duration // an offender's record is dropped after this long without a kill
}

// cooldownFor is the quarantine an offender with n offences earns.
func (r quarantineRules) cooldownFor(n int) time.Duration {
	d := r.cooldown
	for i := r.kills; i < n && d < r.max; i++ {
		d *= 2
	}
	return min(d, r.max)
}

// offender is what the pool remembers of a function that killed a sandbox.
type offender struct {
	kills    []time.Time // within the window
	offences int
	last     time.Time
	q        *Quarantine // nil when not quarantined
	timer    *time.Timer // ends q
}

// quarantines is the pool's record of offenders. It lives in memory: one
// gateway process, forgotten on restart.
type quarantines struct {
	rules quarantineRules
	now   func() time.Time
	// ended is called (without the lock) when a function leaves quarantine,
	// so that its sandbox can be given back.
	ended func(functionID string)

	mu        sync.Mutex
	offenders map[string]*offender
	active    atomic.Int64 // len of quarantined offenders: lets calls skip the lock
	total     atomic.Uint64
}

func newQuarantines(r quarantineRules, ended func(string)) *quarantines {
	return &quarantines{rules: r, now: time.Now, ended: ended, offenders: map[string]*offender{}}
}

// offence records that fn killed its sandbox, for reason ("ran it out of
// memory"); it returns the function's quarantine if this put it in (or
// kept it in) quarantine.
func (qs *quarantines) offence(fn, reason string) (Quarantine, bool) {
	q, in, ended := qs.offenceLocked(fn, reason)
	if ended && !in { // back in at once, it keeps its sandbox
		qs.ended(fn)
	}
	return q, in
}

// offenceLocked is offence under the lock; ended reports a quarantine it
// found over, whose sandbox is to be given back.
func (qs *quarantines) offenceLocked(fn, reason string) (_ Quarantine, in, ended bool) {
	now := qs.now()
	qs.mu.Lock()
	defer qs.mu.Unlock()
	qs.pruneLocked(now)
	o := qs.offenders[fn]
	if o == nil {
		o = &offender{}
		qs.offenders[fn] = o
	}
	if o.q != nil && !now.Before(o.q.Until) {
		// Over, though its timer has not ended it yet: end it here.
		o.timer.Stop()
		o.q = nil
		qs.active.Add(-1)
		ended = true
	}
	kept := o.kills[:0]
	for _, t := range o.kills {
		if now.Sub(t) < qs.rules.window {
			kept = append(kept, t)
		}
	}
	o.kills = append(kept, now)
	o.offences++
	o.last = now
	if o.q == nil && len(o.kills) < qs.rules.kills {
		return Quarantine{}, false, ended
	}
	until := now.Add(qs.rules.cooldownFor(o.offences))
	why := fmt.Sprintf("it killed its sandbox %d times within %v (last: %s)", len(o.kills), qs.rules.window, reason)
	if o.q == nil {
		o.q = &Quarantine{Since: now}
		qs.active.Add(1)
		qs.total.Add(1)
	} else {
		// An offence in quarantine (in its own sandbox) extends it.
		why = fmt.Sprintf("it killed its sandbox %d times (last: %s, while quarantined)", o.offences, reason)
		until = later(until, o.q.Until)
		o.timer.Stop()
	}
	o.q.Until, o.q.Offences, o.q.Reason = until, o.offences, why
	o.timer = time.AfterFunc(until.Sub(now), func() { qs.expire(fn, until) })
	return *o.q, true, ended
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// get returns fn's quarantine, if it is in one now.
func (qs *quarantines) get(fn string) (Quarantine, bool) {
	if qs.active.Load() == 0 {
		return Quarantine{}, false // the common case, without the lock
	}
	qs.mu.Lock()
	defer qs.mu.Unlock()
	o := qs.offenders[fn]
	if o == nil || o.q == nil || !qs.now().Before(o.q.Until) {
		return Quarantine{}, false
	}
	return *o.q, true
}

// expire ends fn's quarantine if it still ends at until (an offence since
// moved it later, with a timer of its own).
func (qs *quarantines) expire(fn string, until time.Time) {
	qs.mu.Lock()
	o := qs.offenders[fn]
	if o == nil || o.q == nil || !o.q.Until.Equal(until) {
		qs.mu.Unlock()
		return
	}
	o.q = nil
	qs.active.Add(-1)
	qs.mu.Unlock()
	qs.ended(fn)
}

// impose puts fn in quarantine q, which another gateway's pool decided,
// unless it is in a longer one already; it reports whether that changed
// anything. fn's own offences here are kept as they are.
func (qs *quarantines) impose(fn string, q Quarantine) bool {
	now := qs.now()
	if !now.Before(q.Until) {
		return false
	}
	qs.mu.Lock()
	defer qs.mu.Unlock()
	o := qs.offenders[fn]
	if o == nil {
		o = &offender{last: now}
		qs.offenders[fn] = o
	}
	if o.q != nil && !o.q.Until.Before(q.Until) {
		return false
	}
	if o.q == nil {
		qs.active.Add(1)
	} else {
		o.timer.Stop()
	}
	o.q = &q
	until := q.Until
	o.timer = time.AfterFunc(until.Sub(now), func() { qs.expire(fn, until) })
	return true
}

// lift ends fn's quarantine and forgets its offences (an operator vouched
// for it); it reports whether fn was quarantined.
func (qs *quarantines) lift(fn string) bool {
	qs.mu.Lock()
	o := qs.offenders[fn]
	if o == nil || o.q == nil {
		qs.mu.Unlock()
		return false
	}
	o.timer.Stop()
	delete(qs.offenders, fn)
	qs.active.Add(-1)
	qs.mu.Unlock()
	qs.ended(fn)
	return true
}

// pruneLocked forgets offenders out of quarantine with no kill for a day,
// so the map holds only recent offenders.
func (qs *quarantines) pruneLocked(now time.Time) {
	for fn, o := range qs.offenders {
		if o.q == nil && now.Sub(o.last) > qs.rules.forget {
			delete(qs.offenders, fn)
		}
	}
}

func (qs *quarantines) stats() QuarantineStats {
	return QuarantineStats{Active: int(qs.active.Load()), Total: qs.total.Load()}
}

// close stops the expiry timers.
func (qs *quarantines) close() {
	qs.mu.Lock()
	defer qs.mu.Unlock()
	for _, o := range qs.offenders {
		if o.timer != nil {
			o.timer.Stop()
		}
	}
}

// UnavailableError refuses a call for now: its function is quarantined
// with no sandbox free, or its sandbox did not come back in time. It
// unwraps to its RunError; RetryAfter says when to try again.
type UnavailableError struct {
	*functions.RunError
	After time.Duration
}

func (e *UnavailableError) Unwrap() error { return e.RunError }

// RetryAfter is how long the caller should wait before trying again.
func (e *UnavailableError) RetryAfter() time.Duration { return e.After }

// refusal is the error of a call of fn, quarantined as q, refused because
// of why; retry is when it may succeed (at the latest when q ends).
func refusal(fn string, q Quarantine, why string, retry time.Duration, now time.Time) error {
	left := q.Until.Sub(now)
	retry = max(min(retry, left), time.Second)
	return &UnavailableError{After: retry, RunError: &functions.RunError{
		Status: http.StatusServiceUnavailable, Code: CodeQuarantined,
		Message: fmt.Sprintf("function %s is quarantined until %s because %s; its calls run only in a sandbox of its own, and %s",
			fn, q.Until.UTC().Format(time.RFC3339), q.Reason, why),
	}}
}

// Quarantined returns the function's quarantine, if it is in one.
func (p *Pool) Quarantined(functionID string) (Quarantine, bool) {
	if p.quarantines == nil {
		return Quarantine{}, false
	}
	return p.quarantines.get(functionID)
}

// Lift ends a function's quarantine and forgets its offences; it reports
// whether the function was quarantined.
func (p *Pool) Lift(functionID string) bool {
	if p.quarantines == nil || !p.quarantines.lift(functionID) {
		return false
	}
	p.log.Info("quarantine lifted", slog.String("function_id", functionID))
	return true
}

// Impose puts a function in a quarantine another gateway's pool decided
// (see OnQuarantine), unless it is in a longer one here already.
func (p *Pool) Impose(functionID string, q Quarantine) {
	if p.quarantines != nil && p.quarantines.impose(functionID, q) {
		p.log.Warn("function quarantined by another gateway", slog.String("function_id", functionID),
			slog.Time("until", q.Until), slog.String("reason", q.Reason))
	}
}

// OnQuarantine makes the pool call f, off its own locks, each time it puts
// a function in quarantine or extends one (not for Impose): a gateway of a
// cluster tells the others.
func (p *Pool) OnQuarantine(f func(functionID string, q Quarantine)) {
	p.onQuarantine.Store(&f)
}

// QuarantineStats counts quarantined functions and quarantines so far.
func (p *Pool) QuarantineStats() QuarantineStats {
	if p.quarantines == nil {
		return QuarantineStats{}
	}
	return p.quarantines.stats()
}

// offence puts a sandbox kill down to a run of fn (tenant's).
func (p *Pool) offence(fn, tenant, reason string) {
	if p.quarantines == nil || fn == "" {
		return
	}
	q, in := p.quarantines.offence(fn, reason)
	attrs := []any{slog.String("function_id", fn), slog.String("tenant", tenant), slog.String("offence", reason)}
	if !in {
		p.log.Warn("a function killed its sandbox", attrs...)
		return
	}
	p.log.Warn("function quarantined", append(attrs, slog.Int("offences", q.Offences),
		slog.Time("until", q.Until), slog.String("reason", q.Reason))...)
	if f := p.onQuarantine.Load(); f != nil {
		(*f)(fn, q)
	}
}

// executeQuarantined runs a quarantined function's call in its own
// sandbox, or refuses it: when none is free, or while its sandbox restarts
// (it would only kill it again; nobody else waits for it).
func (p *Pool) executeQuarantined(ctx context.Context, inv *functions.Invocation, q Quarantine, deadline time.Time) (*functions.Result, error) {
	fn := inv.Function.ID
	s, retry, err := p.quarantineSlot(fn)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return nil, refusal(fn, q, "none is free", retry, time.Now())
	}
	proc, retry, err := s.own(ctx, fn, deadline)
	if err != nil {
		return nil, err
	}
	if proc == nil {
		return nil, refusal(fn, q, "it is restarting", retry, time.Now())
	}
	res, err := proc.execute(ctx, inv)
	if errors.Is(err, errNotDelivered) {
		return nil, refusal(fn, q, "it is restarting", time.Second, time.Now())
	}
	return res, err
}

// quarantineSlot returns fn's quarantine slot, taking a free one (and
// starting its process) if it has none; nil, with when one may be free,
// if all are taken; errReroute if fn is no longer quarantined.
func (p *Pool) quarantineSlot(fn string) (*slot, time.Duration, error) {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	// Checked under qmu, which release takes too: a slot is never given to
	// a function whose quarantine ended (it would never be given back).
	if _, ok := p.quarantines.get(fn); !ok {
		return nil, 0, errReroute
	}
	var free *slot
	retry := time.Duration(-1)
	for _, s := range p.qslots {
		s.mu.Lock()
		owner, idle := s.owner, s.live == nil && !s.launching
		s.mu.Unlock()
		if owner == fn {
			return s, 0, nil
		}
		switch {
		case owner == "" && idle && free == nil:
			free = s
		case owner == "":
			retry = time.Second // its last process is still exiting
		default:
			if q, ok := p.quarantines.get(owner); ok && (retry < 0 || time.Until(q.Until) < retry) {
				retry = time.Until(q.Until)
			}
		}
	}
	if free == nil {
		if retry < 0 {
			retry = time.Hour // no quarantine sandboxes at all: until its own ends
		}
		return nil, retry, nil
	}
	free.mu.Lock()
	free.owner, free.launching, free.failures = fn, true, 0
	free.broadcastLocked()
	free.mu.Unlock()
	go free.launch(0, false)
	return free, 0, nil
}

// release gives back the quarantine slot of fn, which left quarantine:
// its process finishes the runs it holds and exits.
func (p *Pool) release(fn string) {
	p.qmu.Lock()
	defer p.qmu.Unlock()
	for _, s := range p.qslots {
		s.mu.Lock()
		if s.owner != fn {
			s.mu.Unlock()
			continue
		}
		s.owner = ""
		proc := s.live
		s.retireLocked(proc)
		s.broadcastLocked() // callers waiting for its start go the usual way
		s.mu.Unlock()
		if proc != nil {
			proc.drain()
		}
	}
}
