package functions

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// Executor runs one invocation. The in-process goja engine is one
// implementation; the sandbox-process pool is another. All fields are plain
// data so that an invocation can cross a process boundary as JSON.
type Executor interface {
	Execute(ctx context.Context, inv *Invocation) (*Result, error)
}

// Invocation is everything a run needs; nothing else of the host reaches it.
type Invocation struct {
	RequestID string          `json:"request_id"`
	Function  FunctionInfo    `json:"function"`
	Type      Type            `json:"type"`
	Code      string          `json:"code"`
	Hash      string          `json:"hash"`
	Export    string          `json:"export"` // "" means main
	Env       []EnvVar        `json:"env"`
	Timeout   time.Duration   `json:"timeout"`
	MemoryMB  int             `json:"memory_mb"`
	Data      json.RawMessage `json:"data"` // first argument; must be valid JSON
	Request   RequestInfo     `json:"request"`
	Auth      map[string]any  `json:"auth,omitempty"` // verified claims, if any
	// Trigger is what started the run, ctx.trigger; empty is http.
	Trigger Trigger `json:"trigger,omitempty"`
	// Deadline, when set, is when the caller stops waiting (a routing
	// chain's budget); the run sees the time left as ctx.deadline.
	Deadline time.Time `json:"deadline,omitzero"`
	// FreshRuntime runs the call in a new runtime, not a warm one.
	FreshRuntime bool `json:"fresh_runtime,omitempty"`
	// Prepare only compiles the code into the executor's program cache
	// (a deploy warms the path of the first call); nothing runs.
	Prepare bool `json:"prepare,omitempty"`
	// Call is set for a voice webhook: ctx.call and process.env.CORRELATION_ID.
	Call *CallInfo `json:"call,omitempty"`
	// Trace is the W3C trace context of the gateway's span for this run;
	// the run's fetches carry it on (zero: no trace, nothing added).
	Trace TraceContext `json:"trace,omitzero"`
	// OnLog, when set, is called with each console line the run keeps, as
	// it is printed (a live stream of the run, a follower of its
	// function's logs). It is called on the run's thread, or a sandbox
	// pipe's reader: it must not block. Nil (the default) costs nothing,
	// and a sandbox sends its lines only when it is set.
	OnLog func(LogLine) `json:"-"`
}

// TraceContext is a W3C trace context as its two header values. The
// executor only copies it into fetches (with a span id of their own);
// it never parses more of it than that needs, nor exports anything.
type TraceContext struct {
	Parent string `json:"traceparent,omitempty"` // traceparent of the run's span
	State  string `json:"tracestate,omitempty"`
}

// FetchSpan is one fetch of a traced run, as the run saw it: the gateway
// turns each into a child span of the run (a sandbox exports nothing).
// Only the host is kept of the URL: paths and queries carry secrets.
type FetchSpan struct {
	SpanID   string        `json:"span_id"` // 16 hex digits, the parent-id of the fetch's traceparent
	Method   string        `json:"method"`
	Host     string        `json:"host"` // host[:port]
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	Status   int           `json:"status,omitempty"` // the answer's HTTP status; 0 when none came
	Error    string        `json:"error,omitempty"`  // the fetch error code (timeout, blocked, …)
}

// MaxFetchSpans bounds the fetch spans one run reports; later fetches
// still carry the trace, but go unrecorded.
const MaxFetchSpans = 64

// CallInfo is the call a voice webhook belongs to, with the state its
// earlier webhooks left (ctx.call.state).
type CallInfo struct {
	ID    string          `json:"id"`
	State json.RawMessage `json:"state,omitempty"` // a JSON object; nil for none yet
	// MaxStateBytes bounds the state's JSON; a run that leaves more fails
	// with CodeCallState and nothing is stored.
	MaxStateBytes int `json:"max_state_bytes"`
}

// FunctionInfo identifies the running function to itself (process.env, ctx).
type FunctionInfo struct {
	ID      string `json:"id"`
	UUID    string `json:"uuid"`
	Name    string `json:"name"`
	Tenant  string `json:"tenant"`
	Version int    `json:"version"`
}

// RequestInfo is the HTTP request as the function sees it on ctx.request.
type RequestInfo struct {
	Method  string              `json:"method"`
	URL     string              `json:"url"`
	Path    string              `json:"path"`
	Query   map[string][]string `json:"query"`
	Headers map[string]string   `json:"headers"`
	IP      string              `json:"ip"`
	// Body is the raw body of a form request (multipart/form-data or
	// application/x-www-form-urlencoded), for ctx.request.formData(); nil
	// for any other.
	Body []byte `json:"-"`
}

// Result is a finished run: either a JSON value or an explicit Response.
type Result struct {
	// JSON is the serialized return value when the function returned a plain value.
	JSON json.RawMessage `json:"json,omitempty"`
	// Response is set when the function returned new Response(...).
	Response *HTTPResponse `json:"response,omitempty"`
	Logs     []LogLine     `json:"logs"`
	Duration time.Duration `json:"duration"`
	// CPU is the CPU time the run's thread used: what the run cost, as
	// opposed to how long it took (an App awaiting a timer uses none).
	CPU time.Duration `json:"cpu"`
	// CallState is ctx.call.state as JSON when the run read ctx.call (and
	// so may have changed it); nil when it did not. "null" means the
	// function cleared it.
	CallState json.RawMessage `json:"call_state,omitempty"`
	// Fetches are the run's fetches when the invocation had a Trace.
	Fetches []FetchSpan `json:"fetches,omitempty"`
}

// HTTPResponse is a Response object returned by a function. Headers are
// lower-case names; several values of one are joined with ", ", except
// set-cookie's, joined with "\n" (which no header value may contain):
// each is sent as a header line of its own.
type HTTPResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    []byte            `json:"body"`
}

// LogLine is one console line of a run.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"` // debug, info, warn or error
	Message string    `json:"message"`
}

// LogLevels are the console's levels, least severe first.
var LogLevels = []string{"debug", "info", "warn", "error"}

// LevelRank orders a level among LogLevels (0 for debug); an unknown
// level ranks as info.
func LevelRank(level string) int {
	switch level {
	case "debug":
		return 0
	case "warn":
		return 2
	case "error":
		return 3
	}
	return 1
}

// ParseLevel reads a minimum level: one of LogLevels, or "log" for info.
func ParseLevel(s string) (int, error) {
	switch s {
	case "", "debug":
		return 0, nil
	case "info", "log":
		return 1, nil
	case "warn", "warning":
		return 2, nil
	case "error":
		return 3, nil
	}
	return 0, fmt.Errorf("unknown level %q (one of debug, info, warn, error)", s)
}

// Error codes of a failed run, stable for clients to match on.
const (
	CodeFunctionError  = "function_error"   // the function threw
	CodeTimeout        = "timeout"          // it overran its time limit
	CodeMemoryLimit    = "memory_limit"     // it overran its memory limit
	CodeExportNotFound = "export_not_found" // no such export
	CodeBadResult      = "bad_result"       // return value could not be sent
	CodeCompile        = "compile_error"    // the code does not compile
	CodeCallState      = "call_state"       // ctx.call.state cannot be stored (too large, not JSON)
)

// RunError is a run that ended in an error the caller should see. Status is
// the HTTP status; SIPCode is set when the function rejected with a SIP-style
// code (throw new Error("480 Temporarily Unavailable"), Promise.reject([604, "msg"])).
type RunError struct {
	Status  int       `json:"status"`
	Code    string    `json:"code"`
	SIPCode int       `json:"sip_code,omitempty"`
	Message string    `json:"message"`
	Stack   string    `json:"stack,omitempty"` // kept in the run record, not sent to callers
	Logs    []LogLine `json:"logs,omitempty"`
	// CPU is the CPU time the run used before it failed (0 when the run
	// never started, or its sandbox died with it).
	CPU time.Duration `json:"cpu,omitempty"`
}

func (e *RunError) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// SIPError builds the error for a SIP-style rejection. The HTTP status is
// the code itself when HTTP defines it (403, 404, 503, …); other SIP codes
// (480, 486, 604, …) are the function's deliberate refusal: 422.
func SIPError(code int, message string) *RunError {
	status := http.StatusUnprocessableEntity
	if code >= 400 && code <= 599 && http.StatusText(code) != "" {
		status = code
	}
	return &RunError{Status: status, Code: fmt.Sprint(code), SIPCode: code, Message: message}
}
