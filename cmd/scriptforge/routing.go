package main

import (
	"fmt"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// assignment is a routing assignment as the API shows it.
type assignment struct {
	Type          string    `json:"type"`
	ID            string    `json:"id"`
	FunctionID    string    `json:"function_id"`
	TimeoutMS     int       `json:"timeout_ms"`
	TimeoutAction string    `json:"timeout_action"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// routingPath maps "customer" or "did" (singular or plural) to its API path.
func routingPath(kind string) (string, error) {
	switch kind {
	case "customer", "customers":
		return "/v1/routing/customers", nil
	case "did", "dids":
		return "/v1/routing/dids", nil
	}
	return "", fmt.Errorf("%q is neither customer nor did", kind)
}

func newRoutingCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "routing", Short: "Assign functions to customers and DIDs for Class 4 routing"}
	var (
		function string
		timeout  time.Duration
		action   string
	)
	assign := &cobra.Command{
		Use:   "assign customer|did ID --function NAME --timeout DURATION",
		Short: "Assign a function to a customer or a DID (replaces an existing assignment)",
		Example: `  scriptforge routing assign customer carrier-7 --function lcr --timeout 800ms
  scriptforge routing assign did +442079460000 --function ivr-route --timeout 1s --timeout-action "503 Service Unavailable"`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			base, err := routingPath(args[0])
			if err != nil {
				return err
			}
			body := map[string]any{"function": function, "timeout_ms": timeout.Milliseconds()}
			if action != "" {
				body["timeout_action"] = action
			}
			var a assignment
			data, err := cf.client().call(cmd.Context(), "PUT", base+"/"+url.PathEscape(args[1]), body, &a)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Assigned %s %s to %s: %d ms, then %s\n", a.Type, a.ID, a.FunctionID, a.TimeoutMS, a.TimeoutAction)
			return nil
		},
	}
	f := assign.Flags()
	f.StringVar(&function, "function", "", "the function's name or File ID (required)")
	f.DurationVar(&timeout, "timeout", 0, "how long the whole chain may take, e.g. 800ms (required)")
	f.StringVar(&action, "timeout-action", "", `the SIP answer when it overruns (default "480 Temporarily Unavailable")`)
	_ = assign.MarkFlagRequired("function")
	_ = assign.MarkFlagRequired("timeout")

	cmd.AddCommand(assign,
		&cobra.Command{
			Use: "list customers|dids", Short: "List the assignments of customers or DIDs", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				base, err := routingPath(args[0])
				if err != nil {
					return err
				}
				var list struct {
					Assignments []assignment `json:"assignments"`
				}
				data, err := cf.client().call(cmd.Context(), "GET", base, nil, &list)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tFUNCTION\tTIMEOUT\tTIMEOUT ACTION\tUPDATED")
				for _, a := range list.Assignments {
					fmt.Fprintf(w, "%s\t%s\t%d ms\t%s\t%s\n", a.ID, a.FunctionID, a.TimeoutMS, a.TimeoutAction, a.UpdatedAt.Local().Format(time.DateTime))
				}
				return w.Flush()
			},
		},
		&cobra.Command{
			Use: "unassign customer|did ID", Short: "Remove the assignment of a customer or a DID", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				base, err := routingPath(args[0])
				if err != nil {
					return err
				}
				if _, err := cf.client().call(cmd.Context(), "DELETE", base+"/"+url.PathEscape(args[1]), nil, nil); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Unassigned %s %s.\n", args[0], args[1])
				return nil
			},
		},
	)
	return cmd
}
