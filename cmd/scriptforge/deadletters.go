package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// deadRun is a dead async run as the CLI prints it.
type deadRun struct {
	RequestID  string    `json:"request_id"`
	FunctionID string    `json:"function_id"`
	Attempts   int       `json:"attempts"`
	Error      string    `json:"error"`
	FinishedAt time.Time `json:"finished_at"`
	Errors     []struct {
		Attempt int       `json:"attempt"`
		At      time.Time `json:"at"`
		Error   string    `json:"error"`
	} `json:"errors"`
}

// newRunsCmd is 'scriptforge runs': the tenant's async runs whose
// attempts are spent (the run records themselves are 'scriptforge fn runs').
func newRunsCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "runs",
		Short: "Dead async runs: list them, redrive them, discard them",
		Long: `An async run (Prefer: respond-async) that fails with a 5xx (the function's
error, a timeout, a crash) is tried again with exponential backoff; when
its attempts are spent it is dead, kept with every attempt's error until it
is redriven (queued again with fresh attempts) or discarded. The run
records of every run are 'scriptforge fn runs --trigger async'.`,
	}
	cf.register(cmd)
	var limit int
	dead := &cobra.Command{
		Use: "dead", Short: "List the tenant's dead async runs, the latest to die first", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var list struct {
				Runs []deadRun `json:"runs"`
			}
			data, err := cf.client().call(cmd.Context(), "GET", "/v1/dead-letters?limit="+strconv.Itoa(limit), nil, &list)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			if len(list.Runs) == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "No dead runs.")
				return nil
			}
			return printDead(cmd.OutOrStdout(), list.Runs)
		},
	}
	dead.Flags().IntVar(&limit, "limit", 100, "how many runs, 1 to 1000")
	var all bool
	redrive := &cobra.Command{
		Use: "redrive REQUEST_ID | --all", Short: "Queue dead async runs again, with fresh attempts",
		Example: `  scriptforge runs redrive 01a24b39-e944-7731-81ac-d133bf1170c9
  scriptforge runs redrive --all`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/v1/dead-letters/redrive"
			switch {
			case all && len(args) == 1:
				return fmt.Errorf("give a REQUEST_ID or --all, not both")
			case len(args) == 1:
				path = "/v1/dead-letters/" + url.PathEscape(args[0]) + "/redrive"
			case !all:
				return fmt.Errorf("give a REQUEST_ID, or --all to redrive every dead run")
			}
			var out struct {
				Redriven  *int   `json:"redriven"`
				RequestID string `json:"request_id"`
			}
			data, err := cf.client().call(cmd.Context(), "POST", path, nil, &out)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			if out.Redriven != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "%d runs queued again\n", *out.Redriven)
			} else {
				fmt.Fprintf(cmd.OutOrStdout(), "%s queued again\n", out.RequestID)
			}
			return nil
		},
	}
	redrive.Flags().BoolVar(&all, "all", false, "every dead run of the tenant")
	discard := &cobra.Command{
		Use: "discard REQUEST_ID", Short: "Delete a dead async run for good", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := cf.client().call(cmd.Context(), "DELETE", "/v1/dead-letters/"+url.PathEscape(args[0]), nil, nil); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s discarded\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(dead, redrive, discard)
	return cmd
}

// printDead writes one line per dead run, then each attempt's error.
func printDead(w io.Writer, runs []deadRun) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DIED\tFUNCTION\tATTEMPTS\tREQUEST ID\tLAST ERROR")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", r.FinishedAt.Local().Format(time.DateTime), r.FunctionID, r.Attempts, r.RequestID, firstLine(r.Error, 60))
		for _, a := range r.Errors {
			fmt.Fprintf(tw, "\t  attempt %d\t%s\t\t%s\n", a.Attempt, a.At.Local().Format(time.TimeOnly), firstLine(a.Error, 60))
		}
	}
	return tw.Flush()
}
