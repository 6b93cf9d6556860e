package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// newWhoamiCmd asks the gateway who the key is (GET /v1/key): the same
// question the browser IDE asks at sign-in.
func newWhoamiCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show the API key's tenant and the scopes it grants",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var k struct {
				ID       string   `json:"id"`
				Name     string   `json:"name"`
				Tenant   string   `json:"tenant"`
				Grants   []string `json:"grants"`
				Operator bool     `json:"operator"`
			}
			data, err := cf.client().call(cmd.Context(), "GET", "/v1/key", nil, &k)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "Key:     %s (%s)\nTenant:  %s\nGrants:  %s\n", k.ID, k.Name, k.Tenant, strings.Join(k.Grants, ", "))
			if k.Operator {
				fmt.Fprintln(w, "Operator: yes (manages tenants)")
			}
			return nil
		},
	}
	cf.register(cmd)
	return cmd
}
