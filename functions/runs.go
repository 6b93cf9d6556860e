package functions

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Trigger is what started a run. Every record names one, so a tenant can
// tell an HTTP call from a step of the routing chain or a voice webhook.
type Trigger string

const (
	TriggerHTTP     Trigger = "http"     // POST/GET /v1/fn/<uuid>[/<export>]
	TriggerRouting  Trigger = "routing"  // one step of the Class 4 chain, /v1/routing/…
	TriggerVoice    Trigger = "voice"    // a voice webhook, /v1/voice/<uuid>
	TriggerSchedule Trigger = "schedule" // a slot of the function's schedule (functions/schedule)
	TriggerAsync    Trigger = "async"    // a queued run, Prefer: respond-async (reserved: not yet built)
)

// Triggers lists every trigger, for validation and messages.
var Triggers = []Trigger{TriggerHTTP, TriggerRouting, TriggerVoice, TriggerSchedule, TriggerAsync}

// ParseTrigger accepts one of Triggers.
func ParseTrigger(s string) (Trigger, error) {
	for _, t := range Triggers {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown trigger %q (one of http, routing, voice, schedule, async)", s)
}

// CodeCancelled is the error code of a run stopped by its caller (a
// DELETE of the run, or the client going away): not the function's fault.
const CodeCancelled = "cancelled"

// StatusCancelled is the HTTP status of a cancelled run: 499 "Client
// Closed Request", nginx's code for a caller that went away and the one
// Google APIs map gRPC's CANCELLED to. Not 408 or 504 (nothing timed
// out), not 409 or 503 (no conflict, nothing unavailable; a retry is the
// caller's choice): the run stopped because someone asked it to.
const StatusCancelled = 499

// RunStatus selects runs by outcome. Outcomes:
//   - ok: answered below 400 and no error code (a returned Response of
//     404 is not ok: the caller saw a 404);
//   - cancelled: error code "cancelled";
//   - error: everything else (an error code, or a status of 400 or more);
//
// or by the HTTP status the caller got: a class ("4xx") or one status ("404").
// The zero value selects every run.
type RunStatus struct {
	Outcome string // "ok", "error", "cancelled" or ""
	// Min and Max bound the HTTP status, both inclusive; 0 when unused.
	Min, Max int
}

// ParseRunStatus reads a status filter: ok, error, cancelled, 1xx–5xx or a
// status 100–599.
func ParseRunStatus(s string) (RunStatus, error) {
	switch s {
	case "":
		return RunStatus{}, nil
	case "ok", "error", "cancelled":
		return RunStatus{Outcome: s}, nil
	}
	if len(s) == 3 && s[0] >= '1' && s[0] <= '5' && strings.EqualFold(s[1:], "xx") {
		lo := int(s[0]-'0') * 100
		return RunStatus{Min: lo, Max: lo + 99}, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 100 && n <= 599 && len(s) == 3 {
		return RunStatus{Min: n, Max: n}, nil
	}
	return RunStatus{}, fmt.Errorf("%q is not a status: use ok, error, cancelled, a class such as 5xx, or a status such as 404", s)
}

// RunQuery selects a page of a tenant's runs, newest first.
type RunQuery struct {
	FunctionID string  // "" for every function of the tenant
	Trigger    Trigger // "" for every trigger
	Status     RunStatus
	// Since and Until bound the start time: Since <= started_at < Until.
	// Zero: unbounded.
	Since, Until time.Time
	// Limit is the page size; the store clamps it (DefaultRunsLimit, MaxRunsLimit).
	Limit int
	// After continues from the page that ended at this cursor; nil: the newest.
	After *RunCursor
}

// The page sizes of RunQuery.Limit.
const (
	DefaultRunsLimit = 100
	MaxRunsLimit     = 1000
)

// PageLimit is q.Limit clamped to 1…MaxRunsLimit, DefaultRunsLimit when unset.
func (q RunQuery) PageLimit() int {
	if q.Limit <= 0 {
		return DefaultRunsLimit
	}
	return min(q.Limit, MaxRunsLimit)
}

// RunPage is one page of runs and where the next one starts (nil: none).
type RunPage struct {
	Runs []Run
	Next *RunCursor
}

// RunCursor is the position after the last run of a page: runs are ordered
// by (started_at, request_id) descending, a key no later insert changes,
// so a cursor neither repeats nor skips a record that was there when the
// previous page was read (keyset paging, not OFFSET).
type RunCursor struct {
	StartedAt time.Time
	RequestID string
}

// CursorOf is the cursor just after r.
func CursorOf(r Run) *RunCursor {
	return &RunCursor{StartedAt: r.StartedAt, RequestID: r.RequestID}
}

// ErrBadCursor is a cursor this gateway did not hand out.
var ErrBadCursor = errors.New("not a cursor from a previous page (pass next_cursor as it is)")

// String encodes the cursor for clients, who treat it as opaque: the
// format may change, and only the gateway reads it.
func (c RunCursor) String() string {
	raw := "1:" + strconv.FormatInt(c.StartedAt.UnixMilli(), 10) + ":" + c.RequestID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ParseRunCursor reads what String wrote.
func ParseRunCursor(s string) (*RunCursor, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	version, rest, ok := strings.Cut(string(b), ":")
	if !ok || version != "1" {
		return nil, ErrBadCursor
	}
	ms, id, ok := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || id == "" || len(id) > 200 {
		return nil, ErrBadCursor
	}
	return &RunCursor{StartedAt: time.UnixMilli(n).UTC(), RequestID: id}, nil
}

// RunRetention is what a prune keeps of one tenant's runs: records that
// started at or after Before, and of those the newest Keep. A zero field
// does not limit.
type RunRetention struct {
	Before time.Time
	Keep   int
}
