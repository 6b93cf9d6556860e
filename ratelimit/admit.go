package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// Bucket is one rate bucket or budget of a RunRequest.
type Bucket struct {
	Key    string
	Policy Policy
}

// Slot is one concurrency cap of a RunRequest (Limit <= 0: none).
type Slot struct {
	Key   string
	Limit int
}

// RunRequest is everything a run passes before it starts: a token from
// each rate bucket (in order: the first to refuse is the answer), a
// budget that must hold something (nothing is taken from it; the run
// pays with Charge when done), and a slot of each concurrency cap.
type RunRequest struct {
	Rates  []Bucket
	Budget Bucket
	Slots  []Slot
}

// RunVerdict is the answer to a RunRequest.
type RunVerdict struct {
	// Rates has one decision per requested bucket; after a refusal, the
	// refusing one is the last set.
	Rates []Decision
	// Refused is the index in Rates of the bucket that refused, or -1.
	Refused int
	// Budget is the budget's decision: not Allowed, it refused the run.
	Budget Decision
	// Release gives back the slots taken. Nil when the run was admitted
	// but its slots were not free (or others of this gateway wait for
	// them): the caller waits for them with ConcurrencyLimiter.Acquire.
	Release func()
}

// RunAdmitter decides a whole RunRequest at once, in one round trip to
// where the limits are kept, and charges budgets after the run without
// making the caller wait.
type RunAdmitter interface {
	// AdmitRun decides req. A refusal (by a bucket or the budget) takes
	// nothing; a run admitted without its slots keeps its tokens, as a
	// run that waits for a slot does. ok is false when req could not be
	// decided this way (limits decided locally, Redis unreachable, an
	// invalid policy): the caller decides it with Limiter and
	// ConcurrencyLimiter, as without a RunAdmitter.
	AdmitRun(ctx context.Context, req RunRequest) (v RunVerdict, ok bool)
	// Admits reports whether AdmitRun's slots are c's.
	Admits(c ConcurrencyLimiter) bool
	// Charge debits n from key's balance under p (as Limiter.Debit) in
	// the background. An error is an invalid debit.
	Charge(key string, p Policy, n float64) error
}

var _ RunAdmitter = (*clusterLimiter)(nil)

// admitScript decides a RunRequest. KEYS: the rate buckets, the budget's
// balance (if ARGV[2] is 1), the slots' sets. ARGV: the counts of each
// (rates, budget, slots), the lease in ms, then two per rate bucket
// (seconds per token, burst), two for the budget (rate, burst) and two
// per slot (limit, holder).
//
// It returns {status, index, budget balance, then per rate bucket two
// values}: status 0 all taken; 1 bucket index refused (its values: the
// wait for a token, the wait until full); 2 the budget is spent; 3 the
// tokens are taken but slot index is full, and no slot is taken. Admitted
// buckets' values are the whole tokens left and the wait until full.
//
// The rate buckets are GCRA with redis_rate's key format (the next
// token's theoretical arrival, in seconds since 2017-01-01, when Redis's
// seconds fit a double's precision), so Allow reads the same buckets; the
// budget is debitScript's balance, read without writing.
var admitScript = redis.NewScript(`
local nr, nb, ns, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local sec, usec = tonumber(t[1]), tonumber(t[2])
local out = {0, 0, ''}
local a = 5
local now = (sec - 1483228800) + usec / 1000000
local tats = {}
for i = 1, nr do
  local per, burst = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  local tat = tonumber(redis.call('GET', KEYS[i]) or now)
  if tat < now then tat = now end
  local after = tat + per
  local room = now - (after - burst * per)
  if room < 0 then
    out[1], out[2] = 1, i
    out[#out + 1] = string.format('%.17g', -room)
    out[#out + 1] = string.format('%.17g', tat - now)
    return out
  end
  tats[i] = after
  out[#out + 1] = string.format('%d', math.floor(room / per))
  out[#out + 1] = string.format('%.17g', after - now)
end
if nb == 1 then
  local rate, burst = tonumber(ARGV[a]), tonumber(ARGV[a + 1])
  a = a + 2
  local us = sec * 1000000 + usec
  local b = redis.call('HMGET', KEYS[nr + 1], 'tokens', 'at', 'rate', 'burst')
  local tokens = burst
  if b[1] then
    local at, oldRate, oldBurst = tonumber(b[2]), tonumber(b[3]), tonumber(b[4])
    tokens = tonumber(b[1])
    if us > at then
      tokens = math.min(oldBurst, tokens + (us - at) / 1000000 * oldRate)
    end
    if oldRate ~= rate or oldBurst ~= burst then
      tokens = math.min(tokens, burst)
    end
  end
  out[3] = string.format('%.17g', tokens)
  if tokens <= 0 then
    out[1] = 2
    return out
  end
end
for i = 1, nr do
  redis.call('SET', KEYS[i], string.format('%.17g', tats[i]), 'EX', math.max(1, math.ceil(tats[i] - now)))
end
local ms = sec * 1000 + math.floor(usec / 1000)
local first = nr + nb
for j = 1, ns do
  local key = KEYS[first + j]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ms)
  if redis.call('ZCARD', key) >= tonumber(ARGV[a + 2 * (j - 1)]) then
    out[1], out[2] = 3, j
    return out
  end
end
for j = 1, ns do
  local key = KEYS[first + j]
  redis.call('ZADD', key, ms + lease, ARGV[a + 2 * (j - 1) + 1])
  redis.call('PEXPIRE', key, lease)
end
return out
`)

// AdmitRun decides req in Redis in one round trip (see RunAdmitter).
func (l *clusterLimiter) AdmitRun(_ context.Context, req RunRequest) (RunVerdict, bool) {
	c := l.c
	if !c.Shared() {
		return RunVerdict{}, false
	}
	v := RunVerdict{Refused: -1, Rates: make([]Decision, len(req.Rates))}
	keys := make([]string, 0, len(req.Rates)+1+len(req.Slots))
	args := make([]any, 4, 4+2*(len(req.Rates)+1+len(req.Slots)))
	asked := make([]int, 0, len(req.Rates)) // the buckets sent, by index in req.Rates
	for i, b := range req.Rates {
		if b.Policy.Validate() != nil {
			return RunVerdict{}, false // Allow says what is wrong
		}
		if b.Policy.Unlimited() {
			v.Rates[i] = unlimitedDecision(b.Policy)
			continue
		}
		asked = append(asked, i)
		keys = append(keys, "rate:"+c.remote.allowKey(b.Key))
		args = append(args, gcraPeriod(b.Policy).Seconds(), b.Policy.Burst)
	}
	budget := req.Budget.Policy
	if checkDebit(req.Budget.Key, budget, 0) != nil {
		return RunVerdict{}, false
	}
	nb := 0
	if budget.Unlimited() {
		v.Budget = unlimitedDecision(budget)
	} else {
		nb = 1
		keys = append(keys, c.remote.debitKey(req.Budget.Key))
		args = append(args, strconv.FormatFloat(budget.Rate, 'g', -1, 64), budget.Burst)
	}
	slots := make([]Slot, 0, len(req.Slots))
	waiters := false // for a slot, on this gateway: they take it first, by Acquire
	for _, s := range req.Slots {
		if s.Limit <= 0 {
			continue
		}
		if c.conc.queued(s.Key) {
			waiters, slots = true, slots[:0]
			break
		}
		slots = append(slots, s)
	}
	members := make([]string, len(slots))
	for j, s := range slots {
		members[j] = c.conc.member()
		keys = append(keys, c.conc.slotKey(s.Key))
		args = append(args, s.Limit, members[j])
	}
	args[0], args[1], args[2], args[3] = len(asked), nb, len(slots), c.cfg.Lease.Milliseconds()

	// Not the caller's cancellation: tokens and slots taken in Redis must
	// be known here. Runs admitted at once share a round trip.
	var res []any
	r, err := c.admits.run(keys, args)
	if err == nil {
		if res, _ = r.([]any); res == nil {
			err = fmt.Errorf("admission: answer %v", r)
		}
	}
	var status int64
	if err == nil {
		status, err = v.read(res, req, asked, nb == 1)
	}
	if errors.Is(err, errClosed) {
		return RunVerdict{}, false
	}
	if err != nil {
		c.fail(fmt.Errorf("%w: admitting a run: %w", errRedis, err))
		return RunVerdict{}, false
	}
	switch {
	case status != 0 || waiters:
	case len(slots) == 0:
		v.Release = func() {}
	default:
		releases := make([]func(), len(slots))
		for j, s := range slots {
			releases[j] = c.conc.hold(s.Key, c.conc.slotKey(s.Key), members[j])
		}
		v.Release = func() {
			for _, r := range releases {
				r()
			}
		}
	}
	return v, true
}

// read fills v from admitScript's answer res, and returns its status.
func (v *RunVerdict) read(res []any, req RunRequest, asked []int, budget bool) (int64, error) {
	status, ok := int64(-1), len(res) >= 3
	var index int64
	if ok {
		status, _ = res[0].(int64)
		index, ok = res[1].(int64)
	}
	if !ok || status < 0 || status > 3 {
		return 0, fmt.Errorf("admission: answer %v", res)
	}
	for k, i := range asked {
		if len(res) < 5+2*k {
			break // not decided: after the refusal
		}
		p := req.Rates[i].Policy
		first, _ := res[3+2*k].(string)
		second, _ := res[4+2*k].(string)
		x, err1 := strconv.ParseFloat(first, 64)
		reset, err2 := strconv.ParseFloat(second, 64)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("admission: bucket %q: answer %v", req.Rates[i].Key, res)
		}
		if status == 1 && int64(k+1) == index {
			v.Rates[i] = gcraDecision(p, false, 0, seconds(x), seconds(reset))
			v.Refused = i
			v.Rates = v.Rates[:i+1]
			return status, nil
		}
		v.Rates[i] = gcraDecision(p, true, int(x), -1, seconds(reset))
	}
	if status == 1 {
		return 0, fmt.Errorf("admission: refusal by bucket %d without its values: %v", index, res)
	}
	if budget {
		tokens, _ := res[2].(string)
		d, err := balanceDecision(req.Budget.Policy, tokens)
		if err != nil {
			return 0, fmt.Errorf("admission: budget %q: %w", req.Budget.Key, err)
		}
		v.Budget = d
	}
	if status == 2 && v.Budget.Allowed {
		return 0, fmt.Errorf("admission: budget refused with a balance: %v", res)
	}
	return status, nil
}

// seconds is s seconds as a Duration.
func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Admits reports whether cc is this cluster's.
func (l *clusterLimiter) Admits(cc ConcurrencyLimiter) bool {
	x, ok := cc.(*clusterConcurrency)
	return ok && x.c == l.c
}

// Charge debits n from key's balance in Redis along with other writes
// after runs, or locally (this gateway's share) if Redis cannot be
// written.
func (l *clusterLimiter) Charge(key string, p Policy, n float64) error {
	if err := checkDebit(key, p, n); err != nil {
		return err
	}
	if p.Unlimited() || n == 0 {
		return nil
	}
	if !l.c.Shared() {
		_, err := l.local.Debit(context.Background(), key, l.c.share(p), n)
		return err
	}
	l.c.after.send(afterOp{key: l.c.remote.debitKey(key), args: l.c.remote.debitArgs(p, n),
		failed: func() { _, _ = l.local.Debit(context.Background(), key, l.c.share(p), n) }})
	return nil
}
