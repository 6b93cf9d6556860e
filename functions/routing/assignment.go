// Package routing is Class 4 call routing: which function answers for a
// customer or a DID, and the chain that runs the tenant's run-first
// scripts, the assigned function and the run-last scripts within the
// assignment's deadline. It knows nothing of HTTP; gateway/routing.go is
// its thin handler.
package routing

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// Kind says what an assignment is keyed by.
type Kind string

const (
	// KindCustomer is a termination customer (calls it sends us).
	KindCustomer Kind = "customer"
	// KindDID is an origination number (calls to it).
	KindDID Kind = "did"
)

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return k == KindCustomer || k == KindDID }

// Assignment gives a customer or a DID its function, and the time the
// whole chain may take before the switch gets the timeout action.
type Assignment struct {
	Tenant        string        `json:"-"`
	Kind          Kind          `json:"type"`
	Key           string        `json:"id"` // the customer's name or the DID
	FunctionID    string        `json:"function_id"`
	TimeoutMS     int           `json:"timeout_ms"`
	TimeoutAction TimeoutAction `json:"timeout_action"`
	CreatedAt     time.Time     `json:"created_at"`
	UpdatedAt     time.Time     `json:"updated_at"`
}

// ErrNoAssignment is what a Store returns for an unknown customer or DID.
var ErrNoAssignment = errors.New("no such routing assignment")

// Store keeps assignments and finds the chain's functions. Every method
// is scoped by tenant; writes return once durable.
type Store interface {
	// PutAssignment creates or replaces the assignment of (Kind, Key).
	// The function must be the tenant's: functions.ErrNotFound if not.
	PutAssignment(ctx context.Context, a Assignment) (Assignment, error)
	GetAssignment(ctx context.Context, tenant string, kind Kind, key string) (Assignment, error)
	DeleteAssignment(ctx context.Context, tenant string, kind Kind, key string) error
	// ListAssignments returns the tenant's assignments of one kind, by key.
	ListAssignments(ctx context.Context, tenant string, kind Kind) ([]Assignment, error)
	// RoutingChain returns the tenant's run-first and run-last functions
	// with their live versions, each place in order.
	RoutingChain(ctx context.Context, tenant string) (first, last []functions.Deployed, err error)
}

// Bounds of an assignment.
const (
	MinTimeoutMS      = 1
	MaxTimeoutMS      = 30_000
	maxKeyLen         = 128
	maxReasonLen      = 128
	DefaultActionText = "480 Temporarily Unavailable"
)

var (
	customerRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@+-]*$`)
	didRE      = regexp.MustCompile(`^\+?[0-9]{1,32}$`)
)

// ValidateKey checks a customer name (letters, digits, . _ : @ + -) or a
// DID (digits, an optional leading +).
func ValidateKey(kind Kind, key string) error {
	switch kind {
	case KindCustomer:
		if len(key) == 0 || len(key) > maxKeyLen || !customerRE.MatchString(key) {
			return &functions.ValidationError{Field: "customer", Message: fmt.Sprintf("must be 1–%d letters, digits, '.', '_', ':', '@', '+' or '-', starting with a letter or digit", maxKeyLen)}
		}
	case KindDID:
		if !didRE.MatchString(key) {
			return &functions.ValidationError{Field: "did", Message: "must be 1–32 digits, with an optional leading '+' (E.164)"}
		}
	default:
		return &functions.ValidationError{Field: "type", Message: "must be customer or did"}
	}
	return nil
}

// ValidateTimeout checks an assignment's timeout_ms.
func ValidateTimeout(ms int) error {
	if ms < MinTimeoutMS || ms > MaxTimeoutMS {
		return &functions.ValidationError{Field: "timeout_ms", Message: fmt.Sprintf("must be between %d and %d", MinTimeoutMS, MaxTimeoutMS)}
	}
	return nil
}

// TimeoutAction is the SIP answer the switch gets when the chain overruns,
// e.g. 480 Temporarily Unavailable.
type TimeoutAction struct {
	Code   int
	Reason string
}

// ParseTimeoutAction reads "<code> <reason>": a SIP final failure code
// (400–699), one space, then a printable reason phrase.
func ParseTimeoutAction(s string) (TimeoutAction, error) {
	bad := func(msg string) (TimeoutAction, error) {
		return TimeoutAction{}, &functions.ValidationError{Field: "timeout_action",
			Message: fmt.Sprintf("%s: write a SIP code 400–699 and a reason phrase, e.g. %q", msg, DefaultActionText)}
	}
	codeText, reason, ok := strings.Cut(s, " ")
	if !ok || len(codeText) != 3 {
		return bad(fmt.Sprintf("%q is not \"<code> <reason>\"", truncate(s, 40)))
	}
	code, err := strconv.Atoi(codeText)
	if err != nil || code < 400 || code > 699 {
		return bad(fmt.Sprintf("%q is not a SIP failure code", codeText))
	}
	if strings.TrimSpace(reason) == "" || len(reason) > maxReasonLen {
		return bad(fmt.Sprintf("the reason phrase must be 1–%d characters", maxReasonLen))
	}
	for _, r := range reason {
		// A reason phrase goes into a SIP status line: no control
		// characters, which could end the line and inject headers.
		if r < 0x20 || r == 0x7f {
			return bad("the reason phrase has a control character")
		}
	}
	return TimeoutAction{Code: code, Reason: reason}, nil
}

func (a TimeoutAction) String() string { return strconv.Itoa(a.Code) + " " + a.Reason }

// MarshalText writes the action as "<code> <reason>".
func (a TimeoutAction) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses and validates an action.
func (a *TimeoutAction) UnmarshalText(b []byte) error {
	v, err := ParseTimeoutAction(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
