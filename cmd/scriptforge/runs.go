package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/scriptforge/scriptforge/auth"
)

// runRecord is a run record as the CLI prints it.
type runRecord struct {
	RequestID  string    `json:"request_id"`
	FunctionID string    `json:"function_id"`
	Version    int       `json:"version"`
	Export     string    `json:"export"`
	Trigger    string    `json:"trigger"`
	Status     int       `json:"status"`
	ErrorCode  string    `json:"error_code"`
	Error      string    `json:"error"`
	DurationUS int64     `json:"duration_us"`
	CPUUS      int64     `json:"cpu_us"`
	StartedAt  time.Time `json:"started_at"`
	Logs       []struct {
		Time    time.Time `json:"time"`
		Level   string    `json:"level"`
		Message string    `json:"message"`
	} `json:"logs"`
}

// runPage is one answer of the run listings.
type runPage struct {
	Runs       []json.RawMessage `json:"runs"`
	NextCursor string            `json:"next_cursor"`
}

// runsFlags are the listing's filters, passed to the API as they are: the
// gateway checks them and names the one it cannot read.
type runsFlags struct {
	status, trigger, since, until, cursor string
	limit                                 int
	all, logs                             bool
}

func runsCmd(cf *clientFlags) *cobra.Command {
	var o runsFlags
	cmd := &cobra.Command{
		Use:   "runs [ID]",
		Short: "List a function's runs (or, without ID, the whole tenant's), newest first",
		Long: `List run records, newest first: when each run started, what triggered it
(http, routing, voice; later schedule, async), the HTTP status its caller got,
duration, CPU time, request id and error. Without ID, every function of the
tenant. Records are kept per tenant by count and age (see 'scriptforge serve
--help' and 'scriptforge tenant set --help').

--status takes ok (answered below 400 without an error), error (an error, or
400 and up, but not cancelled), cancelled, a class such as 5xx, or a status
such as 404. --since and --until take an RFC 3339 time or a duration back
from now (10m, 24h, 7d); --until is exclusive.

One page is shown at a time (--limit runs); the next page's --cursor is
printed on stderr. --all follows the cursors to the last page.`,
		Example: `  scriptforge fn runs fn_abc123                            # the 20 newest runs
  scriptforge fn runs fn_abc123 --status error --since 1h --logs
  scriptforge fn runs fn_abc123 --trigger routing --status 4xx --all
  scriptforge fn runs --since 2026-12-01T00:00:00Z --until 2026-12-02T00:00:00Z --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/v1/runs"
			if len(args) == 1 {
				path = fnPath(args[0]) + "/runs"
			}
			return listRuns(cmd, cf, path, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.status, "status", "", "ok, error, cancelled, a class (2xx … 5xx) or one status (404)")
	f.StringVar(&o.trigger, "trigger", "", "http, routing, voice, schedule or async")
	f.StringVar(&o.since, "since", "", "runs started at or after this: RFC 3339 or a duration back from now (10m, 7d)")
	f.StringVar(&o.until, "until", "", "runs started before this: RFC 3339 or a duration back from now")
	f.IntVar(&o.limit, "limit", 0, "runs per page, 1–1000 (default 20; 1000 with --all)")
	f.StringVar(&o.cursor, "cursor", "", "start at this page (the cursor printed after the previous one)")
	f.BoolVar(&o.all, "all", false, "follow the cursors through every page")
	f.BoolVar(&o.logs, "logs", false, "print each run's console output and error under it")
	return cmd
}

// listRuns prints the pages of one listing: a table, or the JSON answer
// (with --all, one object holding every page's runs).
func listRuns(cmd *cobra.Command, cf *clientFlags, path string, o runsFlags) error {
	q := url.Values{}
	for k, v := range map[string]string{"status": o.status, "trigger": o.trigger, "since": o.since, "until": o.until} {
		if v != "" {
			q.Set(k, v)
		}
	}
	limit := o.limit
	if limit == 0 {
		limit = 20
		if o.all {
			limit = 1000
		}
	}
	q.Set("limit", strconv.Itoa(limit))
	// Relative times are resolved once, here, so every page of --all has
	// the same window however long the walk takes.
	for _, k := range []string{"since", "until"} {
		if v := q.Get(k); v != "" && !strings.ContainsAny(v, "T:") {
			if t, err := resolveAgo(v); err == nil {
				q.Set(k, t.Format(time.RFC3339Nano))
			}
		}
	}
	cursor := o.cursor
	var all []json.RawMessage
	out := cmd.OutOrStdout()
	printed := 0
	for {
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page runPage
		data, err := cf.client().call(cmd.Context(), "GET", path+"?"+q.Encode(), nil, &page)
		if err != nil {
			return err
		}
		switch {
		case cf.json && !o.all:
			printJSON(out, data)
		case cf.json:
			all = append(all, page.Runs...)
		default:
			if err := printRuns(out, page.Runs, printed == 0, o.logs); err != nil {
				return err
			}
			printed += len(page.Runs)
		}
		cursor = page.NextCursor
		if cursor == "" || !o.all {
			break
		}
	}
	if cf.json && o.all {
		if all == nil {
			all = []json.RawMessage{}
		}
		data, err := json.Marshal(map[string]any{"runs": all})
		if err != nil {
			return err
		}
		printJSON(out, data)
		return nil
	}
	if !cf.json && printed == 0 {
		fmt.Fprintln(cmd.ErrOrStderr(), "No runs match.")
	}
	if cursor != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "More runs: add --cursor %s (or --all)\n", cursor)
	}
	return nil
}

// printRuns writes one page as table rows (the header with the first
// page), each run's console output and error under its row with --logs.
// Columns are sized per page; tabwriter cannot keep them aligned across
// the lines of detail in between.
func printRuns(w io.Writer, page []json.RawMessage, header, logs bool) error {
	rows := make([][]string, 0, len(page)+1)
	if header && len(page) > 0 {
		rows = append(rows, []string{"STARTED", "TRIGGER", "STATUS", "VERSION", "DURATION", "CPU", "REQUEST ID", "ERROR"})
	}
	runs := make([]runRecord, len(page))
	for i, raw := range page {
		r := &runs[i]
		if err := json.Unmarshal(raw, r); err != nil {
			return fmt.Errorf("unexpected answer from the gateway: %w", err)
		}
		errText := ""
		if r.ErrorCode != "" {
			errText = r.ErrorCode + ": " + firstLine(r.Error, 60)
		}
		rows = append(rows, []string{r.StartedAt.Local().Format("2006-01-02 15:04:05.000"), r.Trigger, strconv.Itoa(r.Status),
			strconv.Itoa(r.Version), micros(r.DurationUS), micros(r.CPUUS), r.RequestID, errText})
	}
	widths := make([]int, 8)
	for _, row := range rows {
		for i, cell := range row {
			widths[i] = max(widths[i], utf8.RuneCountInString(cell))
		}
	}
	first := len(rows) - len(runs) // 1 with a header
	for i, row := range rows {
		var b strings.Builder
		for j, cell := range row {
			b.WriteString(cell)
			if j < len(row)-1 {
				b.WriteString(strings.Repeat(" ", widths[j]-utf8.RuneCountInString(cell)+2))
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if logs && i >= first {
			printRunDetail(w, runs[i-first])
		}
	}
	return nil
}

func printRunDetail(w io.Writer, r runRecord) {
	for _, l := range r.Logs {
		fmt.Fprintf(w, "    %s %-5s %s\n", l.Time.Local().Format("15:04:05.000"), l.Level, l.Message)
	}
	if r.ErrorCode != "" {
		fmt.Fprintf(w, "    error %s: %s\n", r.ErrorCode, strings.ReplaceAll(r.Error, "\n", "\n    "))
	}
}

// micros prints a duration in µs with three significant figures or so.
func micros(us int64) string {
	d := time.Duration(us) * time.Microsecond
	switch {
	case d < time.Millisecond:
		return d.String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

// firstLine is s's first line, cut to n characters.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// resolveAgo turns a duration back from now into a time.
func resolveAgo(s string) (time.Time, error) {
	d, err := auth.ParseDuration(s)
	if err != nil {
		return time.Time{}, err
	}
	return time.Now().Add(-d), nil
}
