// Command scriptforge is the gateway server and its command-line client.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		var exit exitError
		if !errors.As(err, &exit) {
			fmt.Fprintln(os.Stderr, "error:", err)
		}
		os.Exit(1)
	}
}

// exitError fails the command without printing again what was already said.
type exitError struct{ error }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "scriptforge",
		Short: "A serverless gateway for JavaScript functions",
		Long: `ScriptForge runs small JavaScript functions behind HTTPS endpoints.

Start a gateway with 'scriptforge serve', deploy a function with
'scriptforge deploy hello.js', call it with 'scriptforge invoke <uuid>',
watch its console output with 'scriptforge logs <id> -f', or try one
locally, without a server, with 'scriptforge run hello.js'.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cf := &clientFlags{}
	root.AddCommand(newServeCmd(), newRunCmd(), newDeployCmd(cf), newInvokeCmd(cf), newFnCmd(cf), newRunsCmd(cf), newTenantCmd(cf), newRoutingCmd(cf), newLogsCmd(cf), newWhoamiCmd(cf), newSandboxCmd())
	return root
}
