package main

import (
	"fmt"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func newFnCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "fn",
		Short: "Manage deployed functions: list, show, versions, rollback, runs, schedule, fires, cancel, rotate-uuid, worker, stop, start, unquarantine, delete",
	}
	cf.register(cmd)
	cmd.AddCommand(
		&cobra.Command{
			Use: "list", Short: "List functions", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				var list struct {
					Functions []function `json:"functions"`
				}
				data, err := cf.client().call(cmd.Context(), "GET", "/v1/functions", nil, &list)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				if len(list.Functions) == 0 {
					fmt.Fprintln(cmd.ErrOrStderr(), "No functions yet: deploy one with 'scriptforge deploy FILE'.")
					return nil
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "NAME\tTYPE\tVERSION\tFILE ID\tUUID\tUPDATED")
				for _, f := range list.Functions {
					fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\t%s\n", f.Name, f.Type, f.Version, f.ID, f.UUID, f.UpdatedAt.Local().Format(time.DateTime))
				}
				return w.Flush()
			},
		},
		&cobra.Command{
			Use: "show ID", Short: "Show a function, its settings and source", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var f function
				data, err := cf.client().call(cmd.Context(), "GET", fnPath(args[0]), nil, &f)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				w := cmd.OutOrStdout()
				fmt.Fprintf(w, "Name:     %s (%s)\nFile ID:  %s\nUUID:     %s\nURL:      %s\nVersion:  %d live, %d latest\nLimits:   %d ms, %d MB per run; %s\nAuth:     %s\nRuntime:  %s\nRouting:  %s (order %d)\n",
					f.Name, f.Type, f.ID, f.UUID, f.URL, f.Version, f.LatestVersion, f.TimeoutMS, f.MemoryMB, compactOr(f.Limits, "no usage limits of its own"), f.Auth, runtimeMode(f.Fresh), f.Priority, f.Order)
				for _, e := range f.Env {
					v := "(hidden)"
					if e.Value != nil {
						v = *e.Value
					}
					fmt.Fprintf(w, "Env:      %s=%s [%s]\n", e.Name, v, e.Flag)
				}
				if len(f.NextFires) > 0 {
					fmt.Fprintf(w, "Schedule: %s, next at %s\n", f.Schedule, f.NextFires[0])
				}
				if f.Callback != "" {
					fmt.Fprintf(w, "Callback: %s (for async runs without X-Callback-Url)\n", f.Callback)
				}
				if q := f.Quarantine; q != nil {
					fmt.Fprintf(w, "Quarantine: until %s (since %s, %d offences): %s\n",
						q.Until.Local().Format(time.DateTime), q.Since.Local().Format(time.DateTime), q.Offences, q.Reason)
				}
				fmt.Fprintf(w, "\n%s\n", f.Source)
				return nil
			},
		},
		&cobra.Command{
			Use: "versions ID", Short: "List a function's versions", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var list struct {
					Versions []struct {
						Version   int       `json:"version"`
						Type      string    `json:"type"`
						Hash      string    `json:"hash"`
						Live      bool      `json:"live"`
						CreatedAt time.Time `json:"created_at"`
					} `json:"versions"`
				}
				data, err := cf.client().call(cmd.Context(), "GET", fnPath(args[0])+"/versions", nil, &list)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "VERSION\tLIVE\tTYPE\tHASH\tCREATED")
				for _, v := range list.Versions {
					live := ""
					if v.Live {
						live = "*"
					}
					fmt.Fprintf(w, "%d\t%s\t%s\t%.12s\t%s\n", v.Version, live, v.Type, v.Hash, v.CreatedAt.Local().Format(time.DateTime))
				}
				return w.Flush()
			},
		},
		&cobra.Command{
			Use: "rollback ID VERSION", Short: "Make an earlier version live", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				n, err := strconv.Atoi(args[1])
				if err != nil || n < 1 {
					return fmt.Errorf("VERSION must be a version number, not %q (see 'scriptforge fn versions %s')", args[1], args[0])
				}
				var f function
				data, err := cf.client().call(cmd.Context(), "POST", fnPath(args[0])+"/rollback", map[string]int{"version": n}, &f)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: version %d is live\n", f.Name, f.Version)
				return nil
			},
		},
		&cobra.Command{
			Use: "rotate-uuid ID", Short: "Give a function a new UUID (the old URL stops working)", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var f function
				data, err := cf.client().call(cmd.Context(), "POST", fnPath(args[0])+"/rotate-uuid", nil, &f)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: new UUID %s\n  URL: %s\n", f.Name, f.UUID, f.URL)
				return nil
			},
		},
		runsCmd(cf),
		scheduleCmd(cf),
		firesCmd(cf),
		&cobra.Command{
			Use:   "cancel REQUEST_ID",
			Short: "Stop a run in progress (an invocation, voice webhook or routing chain) by its request id",
			Long: `Stop a run in progress: its JavaScript is interrupted and its pending fetches
and timers aborted, within 100 ms. Its caller, if still waiting, gets 499 with
error code "cancelled", and its run record says cancelled. A run knows its id
as ctx.requestId. Needs the functions:write scope.

Runs in progress are known to the gateway that runs them: with several
gateways behind a load balancer, SCRIPTFORGE_URL must name that gateway.`,
			Example: `  scriptforge fn cancel 01a24a85-4f7a-713d-87c1-522ec4902a7a`,
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var out struct {
					Status string `json:"status"`
				}
				data, err := cf.client().call(cmd.Context(), "DELETE", "/v1/runs/"+url.PathEscape(args[0]), nil, &out)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				if out.Status == "cancelled" {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: cancelled\n", args[0])
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "%s: told to stop; it has not stopped yet\n", args[0])
				}
				return nil
			},
		},
		workerCmd(cf, "worker", "Show a Worker function's state (running, idle, stopped) and restarts", "GET", "/worker"),
		workerCmd(cf, "stop", "Stop a Worker function: calls fail until it is started", "POST", "/stop"),
		workerCmd(cf, "start", "Let a stopped Worker function run again (it starts with fresh state)", "POST", "/start"),
		&cobra.Command{
			Use: "unquarantine ID", Short: "Lift the quarantine of a function that kept killing its sandbox (operator only)", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if _, err := cf.client().call(cmd.Context(), "DELETE", fnPath(args[0])+"/quarantine", nil, nil); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: quarantine lifted; its calls go to the shared sandboxes again\n", args[0])
				return nil
			},
		},
		&cobra.Command{
			Use: "delete ID", Short: "Delete a function and all its versions", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if _, err := cf.client().call(cmd.Context(), "DELETE", fnPath(args[0]), nil, nil); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Deleted %s\n", args[0])
				return nil
			},
		},
	)
	return cmd
}

// workerCmd is one of the Worker commands: they differ only in the call.
func workerCmd(cf *clientFlags, use, short, method, suffix string) *cobra.Command {
	return &cobra.Command{
		Use: use + " ID", Short: short, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := fnPath(args[0]) + suffix
			var st struct {
				State     string    `json:"state"`
				Restarts  uint64    `json:"restarts"`
				StartedAt time.Time `json:"started_at"`
			}
			data, err := cf.client().call(cmd.Context(), method, path, nil, &st)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s, %d restarts", args[0], st.State, st.Restarts)
			if !st.StartedAt.IsZero() {
				fmt.Fprintf(cmd.OutOrStdout(), ", started %s", st.StartedAt.Local().Format(time.DateTime))
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
}

func fnPath(id string) string { return "/v1/functions/" + url.PathEscape(id) }

// jsonOr prints the raw answer for --json, or passes the error on.
func jsonOr(cmd *cobra.Command, data []byte, err error) error {
	if err != nil {
		return err
	}
	printJSON(cmd.OutOrStdout(), data)
	return nil
}

// runtimeMode says how a function's calls get their runtime.
func runtimeMode(fresh bool) string {
	if fresh {
		return "fresh per call"
	}
	return "warm (globals persist between calls of a version)"
}
