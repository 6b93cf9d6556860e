package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/scriptforge/scriptforge/auth"
)

// tenant is the gateway's view of a tenant, as the CLI prints it.
type tenant struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	Limits    map[string]any `json:"limits"`
	JWT       map[string]any `json:"jwt"`
	Retention map[string]any `json:"runs_retention"`
	CreatedAt time.Time      `json:"created_at"`
}

// tenantLimitFlags are the limits an operator sets on a tenant.
type tenantLimitFlags struct {
	rate, ipRate, cpuMS         float64
	burst, ipBurst, concurrency int
}

func (l *tenantLimitFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Float64Var(&l.rate, "rate", 0, "invocations per second over all the tenant's functions (0: the gateway's default)")
	f.IntVar(&l.burst, "burst", 0, "invocations that may come at once above the rate")
	f.Float64Var(&l.ipRate, "ip-rate", 0, "invocations per second from one client IP")
	f.IntVar(&l.ipBurst, "ip-burst", 0, "burst per client IP")
	f.IntVar(&l.concurrency, "concurrency", 0, "runs in progress at once")
	f.Float64Var(&l.cpuMS, "cpu-ms", 0, "CPU budget in milliseconds of run CPU time per second (1000: one core)")
}

// body returns the limits if any flag was given: they replace the whole set.
func (l *tenantLimitFlags) body(cmd *cobra.Command) map[string]any {
	f := cmd.Flags()
	if !f.Changed("rate") && !f.Changed("burst") && !f.Changed("ip-rate") && !f.Changed("ip-burst") && !f.Changed("concurrency") && !f.Changed("cpu-ms") {
		return nil
	}
	return map[string]any{"rate": l.rate, "burst": l.burst, "ip_rate": l.ipRate, "ip_burst": l.ipBurst, "concurrency": l.concurrency, "cpu_ms": l.cpuMS}
}

func newTenantCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tenant",
		Short: "Manage tenants (operator) and their API keys",
		Long: `Tenants own functions and API keys. The operator (an admin key of the
default tenant, such as the key 'scriptforge serve' prints on first start)
creates tenants and sets their limits; a tenant's own admin keys manage its
keys.`,
		Example: `  scriptforge tenant create acme --name "Acme Corp" --rate 100 --burst 200
  scriptforge tenant key create acme --name ci --scope functions:write --scope functions:read
  scriptforge tenant set acme --jwt acme-jwt.json     # then: scriptforge deploy f.js --auth jwt
  scriptforge tenant key revoke acme key_abc123`,
	}
	cf.register(cmd)

	var name string
	var limits tenantLimitFlags
	create := &cobra.Command{
		Use: "create ID", Short: "Create a tenant (operator only)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{"id": args[0]}
			if name != "" {
				body["name"] = name
			}
			if l := limits.body(cmd); l != nil {
				body["limits"] = l
			}
			var t tenant
			data, err := cf.client().call(cmd.Context(), "POST", "/v1/tenants", body, &t)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created tenant %s (%s).\nNext: give it an admin key with 'scriptforge tenant key create %s --name admin --scope admin'.\n", t.ID, t.Name, t.ID)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "display name (default: the id)")
	limits.register(create)

	var setName, setJWT, setRunsAge string
	var setRunsCount int
	var setLimits tenantLimitFlags
	set := &cobra.Command{
		Use: "set ID", Short: "Rename a tenant or set its limits (limits: operator only)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body := map[string]any{}
			if setName != "" {
				body["name"] = setName
			}
			if l := setLimits.body(cmd); l != nil {
				body["limits"] = l
			}
			if r, err := runsRetentionBody(cmd, cf, args[0], setRunsCount, setRunsAge); err != nil {
				return err
			} else if r != nil {
				body["runs_retention"] = r
			}
			switch setJWT {
			case "":
			case "none":
				body["jwt"] = nil
			default:
				raw, err := os.ReadFile(setJWT)
				if err != nil {
					return fmt.Errorf("--jwt: %w", err)
				}
				if !json.Valid(raw) {
					return fmt.Errorf("--jwt: %s is not JSON", setJWT)
				}
				body["jwt"] = json.RawMessage(raw)
			}
			if len(body) == 0 {
				return fmt.Errorf("nothing to change: give --name, --jwt, --runs-max-count, --runs-max-age or a limit flag")
			}
			data, err := cf.client().call(cmd.Context(), "PATCH", tenantPath(args[0]), body, nil)
			return jsonOr(cmd, data, err)
		},
	}
	set.Flags().StringVar(&setName, "name", "", "new display name")
	set.Flags().StringVar(&setJWT, "jwt", "", `a JSON file with the tenant's JWT settings, e.g. {"keys":[{"alg":"RS256","pem":"..."}],"issuer":"...","audience":["..."]} or {"jwks_url":"https://..."}; "none" removes them`)
	set.Flags().IntVar(&setRunsCount, "runs-max-count", 0, "run records the tenant keeps, the newest (0: the gateway's default, serve --runs-max-per-tenant; operator only)")
	set.Flags().StringVar(&setRunsAge, "runs-max-age", "", "how long the tenant's run records are kept, e.g. 72h or 30d (0: the gateway's default, serve --runs-max-age; operator only)")
	setLimits.register(set)

	cmd.AddCommand(create, set,
		&cobra.Command{
			Use: "list", Short: "List tenants (operator only)", Args: cobra.NoArgs,
			RunE: func(cmd *cobra.Command, _ []string) error {
				var list struct {
					Tenants []tenant `json:"tenants"`
				}
				data, err := cf.client().call(cmd.Context(), "GET", "/v1/tenants", nil, &list)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tLIMITS\tRUNS KEPT\tJWT\tCREATED")
				for _, t := range list.Tenants {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%v\t%s\n", t.ID, t.Name, compact(t.Limits), compactOr(t.Retention, "default"), t.JWT != nil, t.CreatedAt.Local().Format(time.DateTime))
				}
				return w.Flush()
			},
		},
		&cobra.Command{
			Use: "show ID", Short: "Show a tenant", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				data, err := cf.client().call(cmd.Context(), "GET", tenantPath(args[0]), nil, nil)
				if err == nil {
					printJSON(cmd.OutOrStdout(), data)
				}
				return err
			},
		},
		newKeyCmd(cf),
	)
	return cmd
}

func newKeyCmd(cf *clientFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "key", Short: "Create, list and revoke a tenant's API keys"}
	var name string
	var scopes []string
	create := &cobra.Command{
		Use: "create TENANT", Short: "Create an API key; its secret is shown once", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var out struct {
				ID     string   `json:"id"`
				Secret string   `json:"secret"`
				Scopes []string `json:"scopes"`
			}
			data, err := cf.client().call(cmd.Context(), "POST", tenantPath(args[0])+"/keys", map[string]any{"name": name, "scopes": scopes}, &out)
			if err != nil || cf.json {
				return jsonOr(cmd, data, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "Created key %s with scopes %s. Its secret is shown this once, and only its hash is kept:\n\n", out.ID, strings.Join(out.Scopes, ", "))
			fmt.Fprintf(cmd.OutOrStdout(), "%s\n", out.Secret)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "what the key is for, e.g. ci (required)")
	create.Flags().StringArrayVar(&scopes, "scope", nil, "admin, functions:read, functions:write, functions:invoke or routing:invoke (repeatable, at least one)")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("scope")

	cmd.AddCommand(create,
		&cobra.Command{
			Use: "list TENANT", Short: "List a tenant's keys (never their secrets)", Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				var list struct {
					Keys []struct {
						ID         string     `json:"id"`
						Name       string     `json:"name"`
						Scopes     []string   `json:"scopes"`
						CreatedAt  time.Time  `json:"created_at"`
						LastUsedAt *time.Time `json:"last_used_at"`
						RevokedAt  *time.Time `json:"revoked_at"`
					} `json:"keys"`
				}
				data, err := cf.client().call(cmd.Context(), "GET", tenantPath(args[0])+"/keys", nil, &list)
				if err != nil || cf.json {
					return jsonOr(cmd, data, err)
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "ID\tNAME\tSCOPES\tCREATED\tLAST USED\tREVOKED")
				when := func(t *time.Time) string {
					if t == nil {
						return "-"
					}
					return t.Local().Format(time.DateTime)
				}
				for _, k := range list.Keys {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, strings.Join(k.Scopes, ","), when(&k.CreatedAt), when(k.LastUsedAt), when(k.RevokedAt))
				}
				return w.Flush()
			},
		},
		&cobra.Command{
			Use: "revoke TENANT KEY_ID", Short: "Revoke a key: it stops working at once", Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				if _, err := cf.client().call(cmd.Context(), "DELETE", tenantPath(args[0])+"/keys/"+url.PathEscape(args[1]), nil, nil); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Revoked %s.\n", args[1])
				return nil
			},
		},
	)
	return cmd
}

func tenantPath(id string) string { return "/v1/tenants/" + url.PathEscape(id) }

// compact prints non-zero limits as k=v pairs.
func compact(m map[string]any) string { return compactOr(m, "defaults") }

func compactOr(m map[string]any, none string) string {
	var parts []string
	for _, k := range []string{"rate", "burst", "ip_rate", "ip_burst", "concurrency", "max_count", "max_age"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%s=%v", k, v))
		}
	}
	if len(parts) == 0 {
		return none
	}
	return strings.Join(parts, " ")
}

// runsRetentionBody is the runs_retention of `tenant set`, nil without
// its flags. The one flag left out keeps the tenant's current value.
func runsRetentionBody(cmd *cobra.Command, cf *clientFlags, id string, count int, age string) (map[string]any, error) {
	f := cmd.Flags()
	if !f.Changed("runs-max-count") && !f.Changed("runs-max-age") {
		return nil, nil
	}
	var cur tenant
	if _, err := cf.client().call(cmd.Context(), "GET", tenantPath(id), nil, &cur); err != nil {
		return nil, err
	}
	r := map[string]any{}
	for k, v := range cur.Retention {
		r[k] = v
	}
	if f.Changed("runs-max-count") {
		if count < 0 {
			return nil, fmt.Errorf("--runs-max-count must be 0 (the gateway's default) or more")
		}
		r["max_count"] = count
	}
	if f.Changed("runs-max-age") {
		if _, err := auth.ParseDuration(age); err != nil {
			return nil, fmt.Errorf("--runs-max-age: %w", err)
		}
		r["max_age"] = age
	}
	return r, nil
}
