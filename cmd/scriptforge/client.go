package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// clientFlags are shared by the commands that talk to a running gateway.
type clientFlags struct {
	server string
	key    string
	json   bool
}

func (f *clientFlags) register(cmd *cobra.Command) {
	p := cmd.PersistentFlags()
	p.StringVar(&f.server, "server", envOr("SCRIPTFORGE_URL", "http://127.0.0.1:8080"), "gateway URL (env SCRIPTFORGE_URL)")
	p.StringVar(&f.key, "key", "", "admin API key (env SCRIPTFORGE_ADMIN_KEY)")
	p.BoolVar(&f.json, "json", false, "print the raw JSON answer")
}

func (f *clientFlags) client() *client {
	key := f.key
	if key == "" {
		key = os.Getenv("SCRIPTFORGE_ADMIN_KEY")
	}
	return &client{base: strings.TrimRight(f.server, "/"), key: key, http: &http.Client{Timeout: 2 * time.Minute}}
}

// client calls the gateway's HTTP API.
type client struct {
	base string
	key  string
	http *http.Client
}

// apiErr is an error answer of the gateway.
type apiErr struct {
	Status    int
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	SIPCode   int    `json:"sip_code"`
}

func (e *apiErr) Error() string {
	msg := fmt.Sprintf("%s (HTTP %d, %s", e.Message, e.Status, e.Code)
	if e.RequestID != "" {
		msg += ", request " + e.RequestID
	}
	msg += ")"
	switch e.Status {
	case http.StatusUnauthorized:
		msg += "\nhint: pass --key or set SCRIPTFORGE_ADMIN_KEY; 'scriptforge serve' prints the key on its first start"
	case http.StatusForbidden:
		msg += "\nhint: this API key lacks the scope the command needs"
	}
	return msg
}

// do sends a request and returns the raw answer; an error status becomes an *apiErr.
func (c *client) do(ctx context.Context, method, path string, body any, contentType string) (*http.Response, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			return nil, nil, err
		}
		rd = bytes.NewReader(enc)
		contentType = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("bad --server %q: %w", c.base, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return nil, nil, fmt.Errorf("cannot reach the gateway at %s: is 'scriptforge serve' running? (set --server or SCRIPTFORGE_URL)", c.base)
		}
		return nil, nil, fmt.Errorf("calling the gateway: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("reading the answer: %w", err)
	}
	if resp.StatusCode >= 400 {
		var eb struct {
			Error apiErr `json:"error"`
		}
		if json.Unmarshal(data, &eb) != nil || eb.Error.Code == "" {
			return resp, data, &apiErr{Status: resp.StatusCode, Code: "http_error", Message: strings.TrimSpace(string(data))}
		}
		eb.Error.Status = resp.StatusCode
		return resp, data, &eb.Error
	}
	return resp, data, nil
}

// call sends a JSON request and decodes a JSON answer into out (if not nil).
func (c *client) call(ctx context.Context, method, path string, in, out any) ([]byte, error) {
	_, data, err := c.do(ctx, method, path, in, "")
	if err != nil {
		return data, err
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return data, fmt.Errorf("unexpected answer from the gateway: %w", err)
		}
	}
	return data, nil
}

// function is the gateway's view of a function, as the CLI prints it.
type function struct {
	ID            string    `json:"id"`
	UUID          string    `json:"uuid"`
	Name          string    `json:"name"`
	Type          string    `json:"type"`
	Version       int       `json:"version"`
	LatestVersion int       `json:"latest_version"`
	URL           string    `json:"url"`
	TimeoutMS     int       `json:"timeout_ms"`
	MemoryMB      int       `json:"memory_mb"`
	Hash          string    `json:"hash"`
	UpdatedAt     time.Time `json:"updated_at"`
	Env           []struct {
		Name  string  `json:"name"`
		Flag  string  `json:"flag"`
		Value *string `json:"value"`
	} `json:"env"`
	Source     string          `json:"source"`
	Auth       string          `json:"auth"`
	Limits     map[string]any  `json:"limits"`
	Fresh      bool            `json:"fresh_runtime"`
	Priority   string          `json:"routing_priority"`
	Order      int             `json:"routing_order"`
	Schedule   json.RawMessage `json:"schedule"`
	NextFires  []string        `json:"next_fires"`
	Callback   string          `json:"callback_url"`
	LastFire   *fire           `json:"last_fire"`
	Quarantine *struct {
		Since    time.Time `json:"since"`
		Until    time.Time `json:"until"`
		Offences int       `json:"offences"`
		Reason   string    `json:"reason"`
	} `json:"quarantine"`
}

// fire is a slot of a function's schedule and what became of it, as
// GET /v1/functions/{id} (last_fire) and …/fires list it.
type fire struct {
	Slot      string `json:"slot"`
	State     string `json:"state"`
	Reason    string `json:"reason"`
	RequestID string `json:"request_id"`
	Status    int    `json:"status"`
	Error     string `json:"error"`
}

func printJSON(w io.Writer, data []byte) {
	var buf bytes.Buffer
	if json.Indent(&buf, data, "", "  ") != nil {
		buf.Reset()
		buf.Write(data)
	}
	buf.WriteByte('\n')
	_, _ = w.Write(buf.Bytes())
}
