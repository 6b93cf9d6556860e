// Package schedule computes when a function's schedule fires: parsing and
// validating a schedule (the product's fields or a cron expression, in an
// IANA time zone), the next fire times, and what is due after downtime.
// It holds no state and does no I/O besides loading time zones; the
// Runner that fires functions lives beside it and is given its store and
// its clock.
//
// # Time zones and daylight saving
//
// A schedule is matched against the wall clock of its zone, minute by
// minute, and each matching wall time is then placed on the timeline:
//
//   - A wall time that does not exist, because the clocks skip it (spring
//     forward), fires once at the first instant after the gap: 02:30 in
//     Europe/Paris on 2026-03-29 fires at 03:00 CEST. Every slot of the
//     gap, and a slot at the end of the gap itself, share that one fire.
//   - A wall time that happens twice, because the clocks repeat it (fall
//     back), fires once, at its first occurrence: 02:30 in Europe/Paris on
//     2026-10-25 fires at 02:30 CEST and not again at 02:30 CET.
//
// robfig/cron/v3's own Next skips slots in a gap and may fire a repeated
// slot twice, so this package parses with it but walks the calendar
// itself.
package schedule

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	// Embedded zone data: the gateway must know the same IANA zones on a
	// host or image without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

// Overlap says what happens when a slot comes while the previous run of
// the same function is still going.
type Overlap string

const (
	// OverlapSkip records the slot as skipped (the default).
	OverlapSkip Overlap = "skip"
	// OverlapAllow runs it anyway, next to the one in progress.
	OverlapAllow Overlap = "allow"
)

// Spec is a schedule as users write it: either Cron or the fields, plus a
// time zone and an overlap policy. A field left empty matches every value
// (as '*' does in cron); when both DaysOfMonth and DaysOfWeek are given, a
// day matching either one fires (cron's rule).
type Spec struct {
	// Cron is a five-field expression (minute hour day-of-month month
	// day-of-week) or @hourly, @daily, @midnight, @weekly, @monthly,
	// @yearly (@annually).
	Cron        string `json:"cron,omitempty"`
	Minutes     []int  `json:"minutes,omitempty"`       // 0–59
	Hours       []int  `json:"hours,omitempty"`         // 0–23
	DaysOfMonth []int  `json:"days_of_month,omitempty"` // 1–31
	DaysOfWeek  []int  `json:"days_of_week,omitempty"`  // 0 (Sunday) – 6 (Saturday)
	// TZ is an IANA zone name such as Europe/Paris; empty is UTC.
	TZ      string  `json:"tz,omitempty"`
	Overlap Overlap `json:"overlap,omitempty"`
}

// MaxCronLen bounds a cron expression: the longest useful one is far shorter.
const MaxCronLen = 256

// Error is a schedule that breaks a rule; Field names the offending field
// of Spec by its JSON name (e.g. "cron", "tz", "minutes").
type Error struct {
	Field   string
	Message string
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

func fail(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Schedule is a validated Spec, ready to compute fire times. It is
// immutable and safe for concurrent use.
type Schedule struct {
	spec Spec
	loc  *time.Location
	// Bit masks of the matching minutes, hours, days of month, months and
	// days of week, as robfig/cron lays them out (bit n: value n).
	minute, hour, dom, month, dow uint64
	// domAny and dowAny: the day field was '*' (or empty), so days match
	// on the other field alone.
	domAny, dowAny bool
}

// starBit is where robfig/cron v3 marks a field written as '*' or '?'
// (its unexported starBit); TestStarBit pins it.
const starBit = 1 << 63

// parser takes exactly the five standard fields and the descriptors; the
// @every form is refused before it gets here.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var descriptors = []string{"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}

// Parse validates a Spec and returns its Schedule. Errors are *Error.
func Parse(sp Spec) (*Schedule, error) {
	sp.Cron = strings.TrimSpace(sp.Cron)
	s := &Schedule{}
	switch sp.Overlap {
	case "":
		sp.Overlap = OverlapSkip
	case OverlapSkip, OverlapAllow:
	default:
		return nil, fail("overlap", "must be skip or allow, not %q", sp.Overlap)
	}
	loc, err := loadZone(sp.TZ)
	if err != nil {
		return nil, err
	}
	s.loc = loc
	if sp.TZ == "" {
		sp.TZ = "UTC"
	}
	fields := len(sp.Minutes) + len(sp.Hours) + len(sp.DaysOfMonth) + len(sp.DaysOfWeek)
	switch {
	case sp.Cron != "" && fields > 0:
		return nil, fail("cron", "give either cron or the fields (minutes, hours, days_of_month, days_of_week), not both")
	case sp.Cron != "":
		if err := s.parseCron(sp.Cron); err != nil {
			return nil, err
		}
	case fields > 0:
		if err := s.parseFields(&sp); err != nil {
			return nil, err
		}
	default:
		return nil, fail("cron", "a schedule needs cron or at least one of minutes, hours, days_of_month, days_of_week")
	}
	s.spec = sp
	// Any eight years hold a 29 February; a fixed start keeps Parse pure.
	if _, ok := s.nextWall(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), 8); !ok {
		// e.g. "0 0 30 2 *": cron accepts it, but it never comes.
		return nil, fail(s.spec.field(), "never fires (no date matches it)")
	}
	return s, nil
}

// field is the name errors about the whole schedule point at.
func (sp Spec) field() string {
	if sp.Cron != "" {
		return "cron"
	}
	return "days_of_month"
}

func loadZone(name string) (*time.Location, error) {
	switch name {
	case "", "UTC":
		return time.UTC, nil
	case "Local":
		// The host's zone is not the user's: a schedule must mean the
		// same on every gateway.
		return nil, fail("tz", "must be an IANA zone name such as Europe/Paris, not Local")
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fail("tz", "unknown time zone %q (use an IANA name such as Europe/Paris or America/New_York)", name)
	}
	return loc, nil
}

func (s *Schedule) parseCron(expr string) (err error) {
	switch {
	case len(expr) > MaxCronLen:
		return fail("cron", "is longer than %d characters", MaxCronLen)
	case strings.HasPrefix(expr, "TZ=") || strings.HasPrefix(expr, "CRON_TZ="):
		return fail("cron", "give the time zone in tz, not in the expression")
	case strings.HasPrefix(expr, "@every"):
		return fail("cron", "@every is not supported: write the times as five fields, e.g. */5 * * * *")
	case strings.HasPrefix(expr, "@") && !slices.Contains(descriptors, expr):
		return fail("cron", "unknown descriptor %q (use one of %s)", expr, strings.Join(descriptors, ", "))
	case !strings.HasPrefix(expr, "@") && len(strings.Fields(expr)) == 6:
		return fail("cron", "has six fields: seconds are not supported, write minute hour day-of-month month day-of-week")
	case !strings.HasPrefix(expr, "@") && len(strings.Fields(expr)) != 5:
		return fail("cron", "must have five fields (minute hour day-of-month month day-of-week), not %d", len(strings.Fields(expr)))
	}
	// robfig/cron panics on some malformed input; it is the user's input,
	// so a panic is their error, not the gateway's.
	defer func() {
		if r := recover(); r != nil {
			err = fail("cron", "cannot be parsed: %v", r)
		}
	}()
	parsed, perr := parser.Parse(expr)
	if perr != nil {
		return fail("cron", "%v", perr)
	}
	spec, ok := parsed.(*cron.SpecSchedule)
	if !ok {
		return fail("cron", "is not a calendar schedule")
	}
	s.minute, s.hour, s.month = spec.Minute&^starBit, spec.Hour&^starBit, spec.Month&^starBit
	s.dom, s.dow = spec.Dom&^starBit, spec.Dow&^starBit
	s.domAny, s.dowAny = spec.Dom&starBit != 0, spec.Dow&starBit != 0
	return nil
}

// parseFields checks each list and turns it into a mask; the lists are
// kept sorted and without duplicates, so equal schedules compare equal.
func (s *Schedule) parseFields(sp *Spec) error {
	var err error
	if sp.Minutes, s.minute, _, err = mask("minutes", sp.Minutes, 0, 59); err != nil {
		return err
	}
	if sp.Hours, s.hour, _, err = mask("hours", sp.Hours, 0, 23); err != nil {
		return err
	}
	if sp.DaysOfMonth, s.dom, s.domAny, err = mask("days_of_month", sp.DaysOfMonth, 1, 31); err != nil {
		return err
	}
	if sp.DaysOfWeek, s.dow, s.dowAny, err = mask("days_of_week", sp.DaysOfWeek, 0, 6); err != nil {
		return err
	}
	s.month = bits(1, 12)
	return nil
}

func mask(field string, list []int, lo, hi int) ([]int, uint64, bool, error) {
	if len(list) == 0 {
		return nil, bits(lo, hi), true, nil
	}
	out := slices.Clone(list)
	slices.Sort(out)
	out = slices.Compact(out)
	var m uint64
	for _, v := range out {
		if v < lo || v > hi {
			return nil, 0, false, fail(field, "values must be between %d and %d, not %d", lo, hi, v)
		}
		m |= 1 << v
	}
	return out, m, false, nil
}

func bits(lo, hi int) uint64 {
	var m uint64
	for v := lo; v <= hi; v++ {
		m |= 1 << v
	}
	return m
}

// Spec returns the schedule as validated: zone and overlap filled in,
// field lists sorted without duplicates.
func (s *Schedule) Spec() Spec { return s.spec }

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Overlap is the schedule's overlap policy.
func (s *Schedule) Overlap() Overlap { return s.spec.Overlap }

// MarshalJSON writes the validated Spec.
func (s *Schedule) MarshalJSON() ([]byte, error) { return json.Marshal(s.spec) }

// String is the schedule in a line, for logs and the CLI.
func (s *Schedule) String() string {
	b, _ := json.Marshal(s.spec) // ints and strings only
	return string(b)
}
