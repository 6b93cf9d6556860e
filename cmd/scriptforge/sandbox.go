package main

import (
	"github.com/spf13/cobra"

	"github.com/scriptforge/scriptforge/functions/sandbox"
)

// newSandboxCmd is the child side of process isolation: 'serve' starts it,
// people do not.
func newSandboxCmd() *cobra.Command {
	var o sandbox.ChildOptions
	cmd := &cobra.Command{
		Use:    "sandbox",
		Short:  "Run functions for a gateway over stdin/stdout (started by serve; not for use by hand)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE:   func(*cobra.Command, []string) error { return sandbox.RunChild(o) },
	}
	f := cmd.Flags()
	f.IntVar(&o.MemoryMB, "memory-mb", 1024, "memory cap of this process in MB")
	f.Int64Var(&o.CacheBytes, "cache-bytes", 64<<20, "size of the compiled-program cache in bytes")
	f.StringVar(&o.Host, "host", "", "EXEC_HOST as functions see it")
	f.BoolVar(&o.Worker, "worker", false, "serve one Worker function, keeping its runtime between invocations")
	return cmd
}
