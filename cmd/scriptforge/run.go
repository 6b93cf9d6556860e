package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/engine"
)

func newRunCmd() *cobra.Command {
	var (
		data, typ, export string
		timeout           time.Duration
		memory            int
		env               envFlags
	)
	cmd := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a function locally, without a server",
		Long: `Run FILE once in the same sandbox the gateway uses and print its result.
Console output goes to stderr, the result to stdout; a failed run exits 1.`,
		Example: `  scriptforge run route.js --data '{"routing":{}}'
  scriptforge run hook.js --type app --export onCall --env TOKEN=x`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			src, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("reading %s: %w", args[0], err)
			}
			if !json.Valid([]byte(data)) {
				return fmt.Errorf("--data is not valid JSON: %s", data)
			}
			t := functions.Type(typ)
			if !t.Valid() {
				return fmt.Errorf("--type must be script or app, not %q", typ)
			}
			entries, err := env.entries()
			if err != nil {
				return err
			}
			vars := make([]functions.EnvVar, 0, len(entries))
			for name, e := range entries {
				m := e.(map[string]string)
				vars = append(vars, functions.EnvVar{Name: name, Value: m["value"], Flag: functions.EnvFlag(m["flag"])})
			}
			if vars, err = functions.ValidateEnv(vars); err != nil {
				return err
			}
			name := filepath.Base(args[0])
			tr, err := engine.Transpile(name, string(src))
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			host, _ := os.Hostname()
			res, err := engine.New(engine.Config{Host: host}).Execute(context.Background(), &functions.Invocation{
				RequestID: "local",
				Function:  functions.FunctionInfo{ID: "local", Name: strings.TrimSuffix(name, filepath.Ext(name)), Tenant: "local", Version: 0},
				Type:      t, Code: tr.Code, Hash: tr.Hash, Export: export, Env: vars,
				Timeout: timeout, MemoryMB: memory, Data: json.RawMessage(data),
				Request: functions.RequestInfo{Method: "POST", Path: "/local", Headers: map[string]string{}},
			})
			var re *functions.RunError
			if errors.As(err, &re) {
				printLogs(cmd.ErrOrStderr(), re.Logs)
				msg := fmt.Sprintf("%s: %s", re.Code, re.Message)
				if re.Stack != "" {
					msg = re.Stack
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "error (HTTP %d): %s\n", re.Status, msg)
				return exitError{re}
			}
			if err != nil {
				return err
			}
			printLogs(cmd.ErrOrStderr(), res.Logs)
			if r := res.Response; r != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "HTTP %d %v\n", r.Status, r.Headers)
				_, _ = cmd.OutOrStdout().Write(append(r.Body, '\n'))
				return nil
			}
			printJSON(cmd.OutOrStdout(), res.JSON)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&data, "data", "d", `{"routing":{}}`, "JSON passed to the function as data")
	f.StringVar(&typ, "type", "script", "function type: script or app")
	f.StringVar(&export, "export", "", "exported function to call (default main)")
	f.DurationVar(&timeout, "timeout", 2*time.Second, "time limit")
	f.IntVar(&memory, "memory", 128, "memory budget in MB")
	env.register(cmd)
	return cmd
}

func printLogs(w io.Writer, logs []functions.LogLine) {
	for _, l := range logs {
		fmt.Fprintf(w, "%s %-5s %s\n", l.Time.Local().Format("15:04:05.000"), l.Level, l.Message)
	}
}
