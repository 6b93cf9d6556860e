package auth

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// RunsRetention is how much of a tenant's run records the gateway keeps:
// the newest MaxCount, none older than MaxAge. A zero field takes the
// gateway's default (serve --runs-max-per-tenant, --runs-max-age); like
// the limits, the operator sets it.
type RunsRetention struct {
	MaxCount int      `json:"max_count,omitempty"`
	MaxAge   Duration `json:"max_age,omitempty"`
}

// The bounds of a RunsRetention.
const (
	MaxRunsCount = 10_000_000
	MaxRunsAge   = 366 * 24 * time.Hour
)

// Validate checks a retention from the API; field names match the JSON.
func (r RunsRetention) Validate() error {
	var errs []error
	if r.MaxCount < 0 || r.MaxCount > MaxRunsCount {
		errs = append(errs, fmt.Errorf("runs_retention.max_count must be between 0 (the gateway's default) and %d", MaxRunsCount))
	}
	if r.MaxAge < 0 || time.Duration(r.MaxAge) > MaxRunsAge {
		errs = append(errs, errors.New("runs_retention.max_age must be between 0 (the gateway's default) and 366d"))
	}
	return errors.Join(errs...)
}

// Duration is a time.Duration written as text in JSON: "72h", "7d", "90m".
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(FormatDuration(time.Duration(d)))
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return errors.New(`a duration is a string such as "72h" or "7d"`)
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// ParseDuration reads a Go duration ("90m", "1h30m") or a number of days
// ("7d"), which Go's parser lacks and retention is mostly counted in.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100_000 {
			return 0, fmt.Errorf("%q is not a duration (such as 10m, 72h or 7d)", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (such as 10m, 72h or 7d)", s)
	}
	return d, nil
}

// FormatDuration writes whole days as "7d", anything else as Go does.
func FormatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	if d > 0 && d%day == 0 {
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}
