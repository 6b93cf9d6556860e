package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// logLine is a console line of a run, tagged with the run's request id.
type logLine struct {
	RequestID string    `json:"request_id"`
	Time      time.Time `json:"time"`
	Level     string    `json:"level"`
	Message   string    `json:"message"`
}

func newLogsCmd(cf *clientFlags) *cobra.Command {
	var (
		follow       bool
		since, level string
		limit        int
	)
	cmd := &cobra.Command{
		Use:   "logs ID",
		Short: "Show a function's console output across its runs; -f follows it live",
		Long: `Show the console lines of every run of a function, oldest first, each
with its time, level and the request id of the run that printed it.

Without -f, the most recent lines kept in the run records (--limit of
them). With -f (--follow), the lines since --since first, then every line
as runs print it, until Ctrl-C. A terminal too slow to keep up is told how
many lines it missed; the runs never wait for it.

--since takes an RFC 3339 time or a duration back from now (10m, 24h);
--level the least severe level shown: debug, info, warn or error. Levels
are coloured on a terminal (NO_COLOR turns that off), plain text
otherwise; --json prints each line as a JSON object (one per line with -f).`,
		Example: `  scriptforge logs fn_abc123                      # the 100 newest lines
  scriptforge logs fn_abc123 -f                   # follow from now on
  scriptforge logs fn_abc123 -f --since 10m --level warn`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q := url.Values{}
			if since != "" {
				q.Set("since", since)
			}
			if level != "" {
				q.Set("level", level)
			}
			if limit > 0 {
				q.Set("limit", strconv.Itoa(limit))
			}
			p := &linePrinter{w: cmd.OutOrStdout(), json: cf.json, color: colorOutput(cmd.OutOrStdout())}
			if !follow {
				var out struct {
					Lines []logLine `json:"lines"`
				}
				data, err := cf.client().call(cmd.Context(), "GET", fnPath(args[0])+"/logs?"+q.Encode(), nil, &out)
				if err != nil {
					return err
				}
				if cf.json {
					printJSON(cmd.OutOrStdout(), data)
					return nil
				}
				for _, l := range out.Lines {
					p.line(l)
				}
				if len(out.Lines) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "No lines.")
				}
				return nil
			}
			q.Set("follow", "1")
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			err := cf.client().follow(ctx, fnPath(args[0])+"/logs?"+q.Encode(), func(event string, data []byte) error {
				switch event {
				case "log":
					var l logLine
					if err := json.Unmarshal(data, &l); err != nil {
						return fmt.Errorf("unexpected event from the gateway: %w", err)
					}
					if cf.json {
						fmt.Fprintf(p.w, "%s\n", data)
						return nil
					}
					p.line(l)
				case "dropped":
					var d struct {
						Count int `json:"count"`
					}
					_ = json.Unmarshal(data, &d)
					fmt.Fprintf(cmd.ErrOrStderr(), "… %d lines dropped: this terminal did not keep up\n", d.Count)
				}
				return nil
			})
			if ctx.Err() != nil { // Ctrl-C: the normal end of following
				return nil
			}
			return err
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&follow, "follow", "f", false, "keep printing lines as runs print them")
	f.StringVar(&since, "since", "", "lines printed at or after this: RFC 3339 or a duration back from now (10m)")
	f.StringVar(&level, "level", "", "least severe level shown: debug, info, warn or error")
	f.IntVar(&limit, "limit", 0, "at most this many stored lines, 1–1000 (default 100)")
	return cmd
}

// linePrinter prints log lines: time, level, request id, message.
type linePrinter struct {
	w     io.Writer
	json  bool
	color bool
}

// ANSI colours of the levels; the request id is dimmed.
var levelColors = map[string]string{"debug": "\x1b[90m", "info": "\x1b[36m", "warn": "\x1b[33m", "error": "\x1b[31m"}

const (
	dim   = "\x1b[2m"
	reset = "\x1b[0m"
)

func (p *linePrinter) line(l logLine) {
	if p.json {
		b, _ := json.Marshal(l) // a struct of strings and a time
		fmt.Fprintf(p.w, "%s\n", b)
		return
	}
	ts := l.Time.Local().Format("2006-01-02 15:04:05.000")
	lvl := fmt.Sprintf("%-5s", l.Level)
	msg := strings.ReplaceAll(l.Message, "\n", "\n    ")
	if !p.color {
		fmt.Fprintf(p.w, "%s %s %s %s\n", ts, lvl, l.RequestID, msg)
		return
	}
	c := levelColors[l.Level]
	fmt.Fprintf(p.w, "%s%s%s %s%s%s %s%s%s %s\n", dim, ts, reset, c, lvl, reset, dim, l.RequestID, reset, msg)
}

// colorOutput: colour only for a terminal, and not when NO_COLOR is set.
func colorOutput(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// follow reads an event stream from path, handing each event to on,
// until the stream or ctx ends. The client's timeout does not apply: a
// stream lasts as long as it is followed.
func (c *client) follow(ctx context.Context, path string, on func(event string, data []byte) error) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		return fmt.Errorf("bad --server %q: %w", c.base, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := (&http.Client{Transport: c.http.Transport}).Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("cannot reach the gateway at %s: is 'scriptforge serve' running? (set --server or SCRIPTFORGE_URL)", c.base)
		}
		return fmt.Errorf("calling the gateway: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		var eb struct {
			Error apiErr `json:"error"`
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return &apiErr{Status: resp.StatusCode, Code: "http_error", Message: strings.TrimSpace(string(data))}
		}
		eb.Error.Status = resp.StatusCode
		return &eb.Error
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var event string
	var data []byte
	for sc.Scan() {
		line := sc.Bytes()
		switch {
		case len(line) == 0:
			if event != "" {
				if err := on(event, data); err != nil {
					return err
				}
			}
			event, data = "", nil
		case line[0] == ':': // a keep-alive
		default:
			if v, ok := strings.CutPrefix(string(line), "event: "); ok {
				event = v
			} else if v, ok := strings.CutPrefix(string(line), "data: "); ok {
				data = append(data, v...)
			}
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("reading the stream: %w", err)
	}
	if ctx.Err() == nil {
		return errors.New("the gateway ended the stream (shutting down?)")
	}
	return nil
}
