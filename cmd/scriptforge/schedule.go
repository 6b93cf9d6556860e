package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// scheduleFlags are a function's schedule as deploy and fn schedule take
// it: an expression (cron, or a JSON object of the product's fields), a
// zone and an overlap policy.
type scheduleFlags struct{ expr, tz, overlap string }

const scheduleHelp = `a cron expression ('*/5 * * * *', '@daily': five fields, no seconds) or a JSON object of the fields, e.g. '{"minutes":[0,30],"hours":[9],"days_of_week":[1,2,3,4,5]}'`

func (s *scheduleFlags) register(cmd *cobra.Command, withSchedule bool) {
	f := cmd.Flags()
	if withSchedule {
		f.StringVar(&s.expr, "schedule", "", "run the function on a schedule: "+scheduleHelp+`; "" removes it; default: unchanged`)
	}
	f.StringVar(&s.tz, "tz", "", "the schedule's IANA time zone, e.g. Europe/Paris (default UTC)")
	f.StringVar(&s.overlap, "overlap", "", "when a slot comes while the previous scheduled run still goes: skip (default) or allow")
}

// body is the schedule as the admin API takes it: nil (JSON null) for an
// empty expression, which removes the schedule.
func (s *scheduleFlags) body() (any, error) {
	expr := strings.TrimSpace(s.expr)
	if expr == "" {
		if s.tz != "" || s.overlap != "" {
			return nil, fmt.Errorf("--tz and --overlap need a schedule")
		}
		return nil, nil
	}
	out := map[string]any{}
	if strings.HasPrefix(expr, "{") {
		dec := json.NewDecoder(strings.NewReader(expr))
		dec.UseNumber()
		if err := dec.Decode(&out); err != nil {
			return nil, fmt.Errorf("the schedule looks like JSON but is not a JSON object: %w", err)
		}
	} else {
		out["cron"] = expr
	}
	for _, f := range []struct{ flag, value, field string }{{"tz", s.tz, "tz"}, {"overlap", s.overlap, "overlap"}} {
		if f.value == "" {
			continue
		}
		if _, both := out[f.field]; both {
			return nil, fmt.Errorf("the schedule has %q and --%s is given too: give it once", f.field, f.flag)
		}
		out[f.field] = f.value
	}
	return out, nil
}

// add puts the schedule into a deploy's body when one of its flags is given.
func (s *scheduleFlags) add(cmd *cobra.Command, body map[string]any) error {
	f := cmd.Flags()
	if !f.Changed("schedule") {
		if f.Changed("tz") || f.Changed("overlap") {
			return fmt.Errorf("--tz and --overlap go with --schedule")
		}
		return nil
	}
	b, err := s.body()
	if err != nil {
		return err
	}
	body["schedule"] = b
	return nil
}

func scheduleCmd(cf *clientFlags) *cobra.Command {
	var (
		sf    scheduleFlags
		clear bool
	)
	cmd := &cobra.Command{
		Use:   "schedule ID [SCHEDULE]",
		Short: "Show, set or clear a function's schedule",
		Long: `Show a function's schedule and its next fire times, set it, or clear it.

SCHEDULE is ` + scheduleHelp + `. The fields are minutes (0-59), hours
(0-23), days_of_month (1-31) and days_of_week (0 Sunday - 6 Saturday); one
left out matches every value. The schedule is read on the wall clock of
--tz: a time that daylight saving skips fires once when the gap ends, a
time it repeats fires once, the first time. After downtime only the most
recent missed slot runs. A scheduled run gets data {"scheduled_at", "schedule"}
and ctx.trigger "schedule".

The schedule is a setting of the function, not of a version: deploys and
rollbacks keep it.`,
		Example: `  scriptforge fn schedule fn_abc '*/5 * * * *' --tz Europe/Paris
  scriptforge fn schedule fn_abc '{"minutes":[0,30],"hours":[9],"days_of_week":[1,2,3,4,5]}'
  scriptforge fn schedule fn_abc @daily --overlap allow
  scriptforge fn schedule fn_abc
  scriptforge fn schedule fn_abc --clear`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, ctx, path := cf.client(), cmd.Context(), fnPath(args[0])
			var f function
			var data []byte
			var err error
			switch {
			case clear && len(args) == 2:
				return fmt.Errorf("give a schedule or --clear, not both")
			case clear && (sf.tz != "" || sf.overlap != ""):
				return fmt.Errorf("--clear takes no --tz or --overlap")
			case clear:
				data, err = c.call(ctx, "PUT", path, map[string]any{"schedule": nil}, &f)
			case len(args) == 2:
				if strings.TrimSpace(args[1]) == "" {
					return fmt.Errorf("the schedule is empty: give one, or --clear to remove it")
				}
				sf.expr = args[1]
				b, berr := sf.body()
				if berr != nil {
					return berr
				}
				data, err = c.call(ctx, "PUT", path, map[string]any{"schedule": b}, &f)
			case sf.tz != "" || sf.overlap != "":
				return fmt.Errorf("--tz and --overlap go with a SCHEDULE (see --help)")
			default:
				data, err = c.call(ctx, "GET", path, nil, &f)
			}
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			printSchedule(cmd.OutOrStdout(), f)
			return nil
		},
	}
	cmd.Flags().BoolVar(&clear, "clear", false, "remove the schedule: the function no longer runs on its own")
	sf.register(cmd, false)
	return cmd
}

// printSchedule writes a function's schedule and its next fires.
func printSchedule(w io.Writer, f function) {
	if len(f.Schedule) == 0 || string(f.Schedule) == "null" {
		fmt.Fprintf(w, "%s: no schedule\n", f.Name)
		return
	}
	fmt.Fprintf(w, "%s: schedule %s\n", f.Name, f.Schedule)
	for _, t := range f.NextFires {
		fmt.Fprintf(w, "  next: %s\n", t)
	}
	if l := f.LastFire; l != nil {
		fmt.Fprintf(w, "  last: %s %s", l.Slot, l.State)
		switch {
		case l.Reason != "":
			fmt.Fprintf(w, " (%s)", l.Reason)
		case l.Error != "":
			fmt.Fprintf(w, " (%s)", l.Error)
		}
		if l.RequestID != "" {
			fmt.Fprintf(w, ", run %s", l.RequestID)
		}
		fmt.Fprintln(w)
	}
}

func firesCmd(cf *clientFlags) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "fires ID",
		Short: "List a function's scheduled slots and what became of each (ran, failed, skipped and why)",
		Long: `List the latest slots of a function's schedule, newest first. A slot is
claimed (running, or its gateway died during the run: it is never run
twice), succeeded, failed, or skipped: missed (the gateway was down across
it and a later slot ran instead) or overlap (the previous scheduled run
was still going). The runs are in 'scriptforge fn runs ID --trigger schedule'.`,
		Example: `  scriptforge fn fires fn_abc --limit 20`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var list struct {
				Fires []fire `json:"fires"`
			}
			data, err := cf.client().call(cmd.Context(), "GET", fmt.Sprintf("%s/fires?limit=%d", fnPath(args[0]), limit), nil, &list)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			if len(list.Fires) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No slots yet.")
				return nil
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "SLOT\tSTATE\tWHY\tRUN")
			for _, f := range list.Fires {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", f.Slot, f.State, f.Reason+f.Error, f.RequestID)
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many slots, 1 to 1000")
	return cmd
}
