package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func newInvokeCmd(cf *clientFlags) *cobra.Command {
	var data, export, method, token string
	cmd := &cobra.Command{
		Use:   "invoke UUID|URL",
		Short: "Call a deployed function over HTTP",
		Long: `Call a deployed function at /v1/fn/<uuid> and print its answer.
Exits with status 1 when the function fails.`,
		Example: `  scriptforge invoke 7b1c…e2 --data '{"routing":{}}'
  scriptforge invoke https://fn.example.com/v1/fn/7b1c…e2 --export hangup
  scriptforge invoke 7b1c…e2 --token "$INVOKE_KEY"     # a function with --auth apikey or jwt`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c := cf.client()
			// The admin key is never sent to a function: a public one
			// would see it in its request headers.
			c.key = token
			path := args[0]
			if u, err := url.Parse(path); err == nil && u.Scheme != "" && u.Host != "" {
				c.base = u.Scheme + "://" + u.Host
				path = u.Path
			} else {
				path = "/v1/fn/" + url.PathEscape(path)
			}
			if export != "" {
				path += "/" + url.PathEscape(export)
			}
			var body []byte
			if data != "" {
				if !json.Valid([]byte(data)) {
					return fmt.Errorf("--data is not valid JSON: %s", data)
				}
				body = []byte(data)
			}
			method = strings.ToUpper(method)
			resp, out, err := c.do(cmd.Context(), method, path, body, "application/json")
			if err != nil {
				if resp == nil {
					return err
				}
				fmt.Fprintln(cmd.ErrOrStderr(), "error:", err)
				return exitError{err}
			}
			if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
				printJSON(cmd.OutOrStdout(), out)
			} else {
				_, _ = cmd.OutOrStdout().Write(out)
			}
			return nil
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.StringVarP(&data, "data", "d", "", "JSON to send as the function's data")
	f.StringVar(&export, "export", "", "exported function to call (default main)")
	f.StringVarP(&method, "method", "X", "POST", "HTTP method")
	f.StringVar(&token, "token", os.Getenv("SCRIPTFORGE_TOKEN"), "bearer credential for a function that needs one: an API key with functions:invoke or a JWT (env SCRIPTFORGE_TOKEN); the admin key is never sent")
	return cmd
}
