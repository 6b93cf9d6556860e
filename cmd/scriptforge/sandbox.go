package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/routing"
	"github.com/scriptforge/scriptforge/functions/sandbox"
)

// newSandboxCmd is the child side of process isolation: 'serve' starts it,
// people do not.
func newSandboxCmd() *cobra.Command {
	var o sandbox.ChildOptions
	var ff fetchFlags
	cmd := &cobra.Command{
		Use:    "sandbox",
		Short:  "Run functions for a gateway over stdin/stdout (started by serve; not for use by hand)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			var err error
			if o.Fetch, err = ff.parse(); err != nil {
				return err
			}
			o.Handoffs = []functions.Handoff{routing.Handoff}
			return sandbox.RunChild(o)
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.MemoryMB, "memory-mb", 1024, "memory cap of this process in MB")
	f.Int64Var(&o.CacheBytes, "cache-bytes", 128<<20, "estimated bytes of compiled programs to keep (a 1 KB function holds about 8 KB)")
	f.StringVar(&o.Host, "host", "", "EXEC_HOST as functions see it")
	f.BoolVar(&o.Worker, "worker", false, "serve one Worker function, keeping its runtime between invocations")
	f.DurationVar(&o.CPUProfileFor, "cpuprofile-for", 0, "write a CPU profile of this long to descriptor 4, which serve --sandbox-cpuprofile hands down")
	ff.register(f)
	return cmd
}

// fetchFlags are the fetch bounds, as flags of serve and of the sandboxes
// it starts. allow holds --fetch-allow until parse reads it.
type fetchFlags struct {
	cfg   engine.FetchConfig
	allow []string
}

func (ff *fetchFlags) register(f *pflag.FlagSet) {
	f.StringSliceVar(&ff.allow, "fetch-allow", nil, "private networks (CIDRs) functions may fetch from, e.g. 10.20.0.0/16 for on-premise services; all other non-public addresses are refused")
	f.Int64Var(&ff.cfg.MaxResponseBytes, "fetch-max-bytes", 5<<20, "largest response body a fetch may read")
}

// parse fills cfg.AllowPrivate from --fetch-allow.
func (ff *fetchFlags) parse() (engine.FetchConfig, error) {
	ff.cfg.AllowPrivate = nil
	for _, s := range ff.allow {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			return ff.cfg, fmt.Errorf("--fetch-allow %q: %w", s, err)
		}
		ff.cfg.AllowPrivate = append(ff.cfg.AllowPrivate, p.Masked())
	}
	return ff.cfg, nil
}

// fetchArgs renders the fetch bounds as sandbox flags.
func fetchArgs(c engine.FetchConfig) []string {
	args := []string{"--fetch-max-bytes", strconv.FormatInt(c.MaxResponseBytes, 10)}
	for _, p := range c.AllowPrivate {
		args = append(args, "--fetch-allow", p.String())
	}
	return args
}
