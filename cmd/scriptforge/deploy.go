package main

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type envFlags struct {
	plain, protected, private []string
}

func (e *envFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&e.plain, "env", nil, "environment variable NAME=value (repeatable)")
	f.StringArrayVar(&e.protected, "protected-env", nil, "write-only variable NAME=value: never shown back")
	f.StringArrayVar(&e.private, "private-env", nil, "secret NAME=value: never shown back, masked in logs")
}

func (e *envFlags) given() bool { return len(e.plain)+len(e.protected)+len(e.private) > 0 }

// entries returns the variables as the admin API takes them.
func (e *envFlags) entries() (map[string]any, error) {
	out := map[string]any{}
	for flag, list := range map[string][]string{"plain": e.plain, "protected": e.protected, "private": e.private} {
		for _, kv := range list {
			name, value, ok := strings.Cut(kv, "=")
			if !ok || name == "" {
				return nil, fmt.Errorf("environment variable %q: write NAME=value", kv)
			}
			if _, dup := out[name]; dup {
				return nil, fmt.Errorf("environment variable %s is given twice", name)
			}
			out[name] = map[string]string{"value": value, "flag": flag}
		}
	}
	return out, nil
}

func newDeployCmd(cf *clientFlags) *cobra.Command {
	var (
		name, typ string
		timeout   time.Duration
		memory    int
		env       envFlags
		authMode  string
		limits    fnLimitFlags
		fresh     bool
		vc        voiceFlags
		priority  string
		order     int
		schemas   schemaFlags
		sched     scheduleFlags
		callback  string
	)
	cmd := &cobra.Command{
		Use:   "deploy FILE",
		Short: "Deploy a JavaScript file as a function (a new version if the name exists)",
		Long: `Deploy FILE as a function. The name defaults to the file name without its
extension. If a function of that name exists, this deploys a new version of
it and makes it live; otherwise it creates the function.

Environment flags replace the function's whole set of variables; give none
to keep the current ones.`,
		Example: `  scriptforge deploy route.js
  scriptforge deploy hook.js --type app --env API_URL=https://api.example.com --private-env TOKEN=s3cret
  scriptforge deploy partner.js --type app --auth apikey --rate 20 --concurrency 4
  scriptforge deploy ivr.js --type app --voice-signing-scheme twilio --voice-signing-secret "$TWILIO_AUTH_TOKEN"
  scriptforge deploy lcr-normalise.js --routing-priority run-first --routing-order 10
  scriptforge deploy orders.js --input-schema order.schema.json --output-schema total.schema.json
  scriptforge deploy report.js --type app --schedule '30 9 * * 1-5' --tz Europe/Paris
  scriptforge deploy enrich.js --type app --callback-url https://partner.example.com/results`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("reading %s: %w", args[0], err)
			}
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			}
			body := map[string]any{"source": string(src)}
			if cmd.Flags().Changed("type") {
				body["type"] = typ
			}
			if timeout > 0 {
				body["timeout_ms"] = timeout.Milliseconds()
			}
			if memory > 0 {
				body["memory_mb"] = memory
			}
			if env.given() {
				if body["env"], err = env.entries(); err != nil {
					return err
				}
			}
			if authMode != "" {
				body["auth"] = authMode
			}
			if cmd.Flags().Changed("fresh-runtime") {
				body["fresh_runtime"] = fresh
			}
			if cmd.Flags().Changed("callback-url") {
				body["callback_url"] = callback
			}
			if priority != "" {
				body["routing_priority"] = priority
			}
			if cmd.Flags().Changed("routing-order") {
				body["routing_order"] = order
			}
			if l := limits.body(cmd); l != nil {
				body["limits"] = l
			}
			if v := vc.body(cmd); v != nil {
				body["voice"] = v
			}
			if err := schemas.add(cmd, body); err != nil {
				return err
			}
			if err := sched.add(cmd, body); err != nil {
				return err
			}
			c, ctx := cf.client(), cmd.Context()
			fmt.Fprintf(cmd.ErrOrStderr(), "Deploying %s as %q to %s …\n", args[0], name, c.base)
			existing, err := findByName(cmd, c, name)
			if err != nil {
				return err
			}
			var out function
			var data []byte
			if existing == nil {
				if !cmd.Flags().Changed("type") {
					body["type"] = typ
				}
				body["name"] = name
				data, err = c.call(ctx, "POST", "/v1/functions", body, &out)
			} else {
				data, err = c.call(ctx, "PUT", "/v1/functions/"+url.PathEscape(existing.ID), body, &out)
			}
			if err != nil {
				return err
			}
			if cf.json {
				printJSON(cmd.OutOrStdout(), data)
				return nil
			}
			verb := "Created"
			if existing != nil {
				verb = "Updated"
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s %s: version %d is live\n", verb, out.Name, out.Version)
			fmt.Fprintf(w, "  File ID: %s\n  UUID:    %s\n  URL:     %s\n", out.ID, out.UUID, out.URL)
			if len(out.NextFires) > 0 {
				fmt.Fprintf(w, "  Schedule: %s, next at %s\n", out.Schedule, out.NextFires[0])
			}
			return nil
		},
	}
	cf.register(cmd)
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "function name (default: the file name)")
	f.StringVar(&typ, "type", "script", "function type: script (synchronous main) or app (async, modules)")
	f.DurationVar(&timeout, "timeout", 0, "time limit per run, e.g. 500ms (default: the gateway's)")
	f.IntVar(&memory, "memory", 0, "memory budget in MB (default: the gateway's)")
	f.StringVar(&authMode, "auth", "", "who may invoke it: public (the UUID is the secret), jwt (a token of the tenant's JWT keys) or apikey (a tenant key with functions:invoke); default: public, or unchanged")
	f.BoolVar(&fresh, "fresh-runtime", false, "run every call in a new runtime (strict isolation, slower) instead of a warm one whose globals persist between calls; --fresh-runtime=false goes back to warm; default: warm, or unchanged")
	f.StringVar(&priority, "routing-priority", "", "place in every routing chain of the tenant: disabled, run-first (before the assigned function) or run-last (after it); default: disabled, or unchanged")
	f.StringVar(&callback, "callback-url", "", "where the outcome of async runs (Prefer: respond-async) is POSTed when the caller sends no X-Callback-Url; signed with the tenant's callback secret; --callback-url= removes it; default: none, or unchanged")
	f.IntVar(&order, "routing-order", 0, "order among the functions of one routing place, lowest first; default: 0, or unchanged")
	limits.register(cmd)
	env.register(cmd)
	vc.register(cmd)
	schemas.register(cmd)
	sched.register(cmd, true)
	return cmd
}

// schemaFlags are the function's contract: JSON Schema files for its
// input and output. An empty path removes that schema.
type schemaFlags struct{ input, output string }

func (s *schemaFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&s.input, "input-schema", "", "a JSON Schema file the invocation's data must match (400 invalid_input otherwise); \"\" removes it; default: unchanged")
	f.StringVar(&s.output, "output-schema", "", "a JSON Schema file the function's result must match (500 bad_output otherwise); \"\" removes it; default: unchanged")
}

// add reads the given schema files into the request body, as JSON values.
func (s *schemaFlags) add(cmd *cobra.Command, body map[string]any) error {
	for _, f := range []struct{ flag, path, field string }{
		{"input-schema", s.input, "input_schema"}, {"output-schema", s.output, "output_schema"},
	} {
		if !cmd.Flags().Changed(f.flag) {
			continue
		}
		if f.path == "" {
			body[f.field] = nil
			continue
		}
		b, err := os.ReadFile(f.path)
		if err != nil {
			return fmt.Errorf("--%s: %w", f.flag, err)
		}
		if !json.Valid(b) {
			return fmt.Errorf("--%s: %s is not JSON", f.flag, f.path)
		}
		body[f.field] = json.RawMessage(b)
	}
	return nil
}

// voiceFlags are the function's voice webhook settings; each given one
// changes that setting only.
type voiceFlags struct {
	scheme, secret string
	ttl            time.Duration
	maxState       int
}

func (v *voiceFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&v.scheme, "voice-signing-scheme", "", "verify voice webhooks (POST /v1/voice/<uuid>): twilio or hmac-sha256; \"\" removes the check")
	f.StringVar(&v.secret, "voice-signing-secret", "", "the voice platform's auth token or signing key (write-only)")
	f.DurationVar(&v.ttl, "voice-state-ttl", 0, "how long a call's ctx.call.state lives after its last write, 1m to 168h (default 1h)")
	f.IntVar(&v.maxState, "voice-state-max", 0, "the bound on a call's ctx.call.state, in bytes of JSON, 1024 to 1048576 (default 65536)")
}

func (v *voiceFlags) body(cmd *cobra.Command) map[string]any {
	out := map[string]any{}
	if cmd.Flags().Changed("voice-signing-scheme") {
		out["signing_scheme"] = v.scheme
	}
	if cmd.Flags().Changed("voice-signing-secret") {
		out["signing_secret"] = v.secret
	}
	if cmd.Flags().Changed("voice-state-ttl") {
		out["state_ttl_s"] = int(v.ttl.Seconds())
	}
	if cmd.Flags().Changed("voice-state-max") {
		out["state_max_bytes"] = v.maxState
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// fnLimitFlags are a function's own usage limits; given, they replace the
// function's whole set.
type fnLimitFlags struct {
	rate        float64
	burst, conc int
}

func (l *fnLimitFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Float64Var(&l.rate, "rate", 0, "the function's own limit in invocations per second (0: none of its own)")
	f.IntVar(&l.burst, "burst", 0, "invocations that may come at once above --rate (default: one second's worth)")
	f.IntVar(&l.conc, "concurrency", 0, "the function's own cap on runs in progress (0: none of its own)")
}

func (l *fnLimitFlags) body(cmd *cobra.Command) map[string]any {
	f := cmd.Flags()
	if !f.Changed("rate") && !f.Changed("burst") && !f.Changed("concurrency") {
		return nil
	}
	return map[string]any{"rate": l.rate, "burst": l.burst, "concurrency": l.conc}
}

// findByName returns the tenant's function of that name, or nil.
func findByName(cmd *cobra.Command, c *client, name string) (*function, error) {
	var list struct {
		Functions []function `json:"functions"`
	}
	if _, err := c.call(cmd.Context(), "GET", "/v1/functions", nil, &list); err != nil {
		return nil, err
	}
	for i := range list.Functions {
		if list.Functions[i].Name == name {
			return &list.Functions[i], nil
		}
	}
	return nil, nil
}
