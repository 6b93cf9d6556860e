package schedule

import "time"

// Wall clock times are carried as time.Time in UTC: a "naive" local time
// whose calendar arithmetic has no daylight saving in the way.
func wall(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// searchYears bounds the calendar search. Parse refused schedules that
// never match; the rarest that do (29 February) may wait eight years,
// across 2100.
const searchYears = 9

// nextWall is the first wall time at or after w (whole minutes) that the
// masks match, searching at most years years ahead.
func (s *Schedule) nextWall(w time.Time, years int) (time.Time, bool) {
	w = w.Truncate(time.Minute)
	if w.Second() != 0 || w.Nanosecond() != 0 {
		w = w.Add(time.Minute)
	}
	limit := w.Year() + years
	for w.Year() <= limit {
		switch {
		case s.month&(1<<uint(w.Month())) == 0:
			w = time.Date(w.Year(), w.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		case !s.dayMatches(w):
			w = time.Date(w.Year(), w.Month(), w.Day()+1, 0, 0, 0, 0, time.UTC)
		case s.hour&(1<<uint(w.Hour())) == 0:
			w = w.Truncate(time.Hour).Add(time.Hour)
		case s.minute&(1<<uint(w.Minute())) == 0:
			w = w.Add(time.Minute)
		default:
			return w, true
		}
	}
	return time.Time{}, false
}

// dayMatches applies cron's day rule: with one of the two day fields
// left as '*', the other decides alone; with both restricted, either
// one matching is enough.
func (s *Schedule) dayMatches(w time.Time) bool {
	dom := s.dom&(1<<uint(w.Day())) != 0
	dow := s.dow&(1<<uint(w.Weekday())) != 0
	if s.domAny || s.dowAny {
		return dom && dow
	}
	return dom || dow
}

// instant places a wall time of the schedule's zone on the timeline: the
// first of its occurrences when the clocks repeat it, the end of the gap
// when the clocks skip it.
func (s *Schedule) instant(w time.Time) time.Time {
	sec := w.Unix() // w read as UTC
	// The zone's offsets a day either side cover any wall time between
	// them: no zone changes offset twice within two days.
	_, before := time.Unix(sec-86400, 0).In(s.loc).Zone()
	_, after := time.Unix(sec+86400, 0).In(s.loc).Zone()
	var first time.Time
	for _, off := range []int{before, after} {
		t := time.Unix(sec-int64(off), 0).In(s.loc)
		if wall(t).Equal(w) && (first.IsZero() || t.Before(first)) {
			first = t
		}
	}
	if !first.IsZero() {
		return first
	}
	// In a gap: read with the offset of before the gap, the wall time
	// lands past the transition, in the zone that starts at the end of
	// the gap.
	start, _ := time.Unix(sec-int64(before), 0).In(s.loc).ZoneBounds()
	return start.In(s.loc)
}

// maxSteps bounds Next's walk over slots that land at or before after:
// only slots of a repeated hour or of a gap do, a few hundred at most.
const maxSteps = 10000

// Next is the first fire strictly after after, in the schedule's zone;
// the zero time if there is none within nine years (a schedule that
// passed Parse always has one).
func (s *Schedule) Next(after time.Time) time.Time {
	w := wall(after.In(s.loc)).Truncate(time.Minute).Add(time.Minute)
	for range maxSteps {
		next, ok := s.nextWall(w, searchYears)
		if !ok {
			return time.Time{}
		}
		if t := s.instant(next); t.After(after) {
			return t
		}
		// A slot of a repeated hour already fired at its first
		// occurrence, or a gap slot shares the fire of an earlier one.
		w = next.Add(time.Minute)
	}
	return time.Time{}
}

// NextN is the next n fires after after, in order.
func (s *Schedule) NextN(after time.Time, n int) []time.Time {
	out := make([]time.Time, 0, n)
	for range n {
		t := s.Next(after)
		if t.IsZero() {
			break
		}
		out = append(out, t)
		after = t
	}
	return out
}

// MaxSkipped bounds the skipped slots Due lists; it counts the rest.
const MaxSkipped = 1000

// maxCounted bounds how many missed slots Due walks: past it (two years
// of a schedule every minute) it jumps to the most recent slot, and More
// is a lower bound.
const maxCounted = 1 << 20

// Missed is what Due finds between the last fire and now.
type Missed struct {
	// Fire is the slot to run now: the most recent one due. Zero: none.
	Fire time.Time
	// Skipped are older slots that will not run, oldest first, at most
	// MaxSkipped of them; More counts the ones beyond the list (at
	// least, when Truncated says the walk was cut short).
	Skipped   []time.Time
	More      int
	Truncated bool
}

func (m *Missed) skip(t time.Time) {
	if len(m.Skipped) < MaxSkipped {
		m.Skipped = append(m.Skipped, t)
	} else {
		m.More++
	}
}

// Due says what to do at now when the schedule last fired (or was set)
// at last: of the slots in (last, now], the most recent fires once and
// every older one is skipped, never replayed, however long the downtime.
func (s *Schedule) Due(last, now time.Time) Missed {
	var m Missed
	slots := 0
	for t := s.Next(last); !t.IsZero() && !t.After(now); t = s.Next(t) {
		if !m.Fire.IsZero() {
			m.skip(m.Fire)
		}
		m.Fire = t
		if slots++; slots == maxCounted {
			if latest := s.latestBefore(now); latest.After(m.Fire) {
				m.skip(m.Fire)
				m.Fire, m.Truncated = latest, true
			}
			break
		}
	}
	return m
}

// latestBefore is the last fire at or before now, looked for in the last
// day, then in the last year.
func (s *Schedule) latestBefore(now time.Time) time.Time {
	for _, back := range []time.Duration{24 * time.Hour, 366 * 24 * time.Hour} {
		var last time.Time
		for t := s.Next(now.Add(-back)); !t.IsZero() && !t.After(now); t = s.Next(t) {
			last = t
		}
		if !last.IsZero() {
			return last
		}
	}
	return time.Time{}
}
