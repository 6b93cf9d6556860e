package voice

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// Call is a call event as every App sees it (data.call), whatever the
// platform named its fields.
type Call struct {
	ID           string `json:"id"`
	From         string `json:"from,omitempty"`
	To           string `json:"to,omitempty"`
	Direction    string `json:"direction,omitempty"` // inbound or outbound
	Status       string `json:"status,omitempty"`    // queued, ringing, in-progress, completed, busy, failed, no-answer, canceled
	Final        bool   `json:"final"`               // the call is over: its state is deleted after this event
	Digits       string `json:"digits,omitempty"`
	Speech       string `json:"speech,omitempty"`
	Confidence   string `json:"confidence,omitempty"`
	RecordingURL string `json:"recording_url,omitempty"`
	Duration     string `json:"duration,omitempty"` // seconds
	AccountID    string `json:"account_id,omitempty"`
	ParentID     string `json:"parent_id,omitempty"`
	DialStatus   string `json:"dial_status,omitempty"` // the outcome of a dial, on its action callback
	CallerName   string `json:"caller_name,omitempty"`
}

// Event is the first argument of a voice run: the normalised call and
// the fields as they came.
type Event struct {
	Call Call            `json:"call"`
	Raw  json.RawMessage `json:"raw"`
}

// MaxCallIDBytes bounds a call id: it is a storage key.
const MaxCallIDBytes = 128

// ErrNoCallID is an event without a call id: nothing to attach state to.
var ErrNoCallID = errors.New("the event has no call id (CallSid, CallUUID, call_id or id)")

// aliases maps each field of Call to the names platforms use for it, in
// order of preference; keys are compared without case, '_' or '-'
// (CallSid, call_sid and callSid are one).
var aliases = []struct {
	names []string
	set   func(c *Call, v string)
}{
	{[]string{"callsid", "calluuid", "callid", "callcontrolid", "uuid", "id"}, func(c *Call, v string) { c.ID = v }},
	{[]string{"from", "caller"}, func(c *Call, v string) { c.From = v }},
	{[]string{"to", "called"}, func(c *Call, v string) { c.To = v }},
	{[]string{"direction"}, func(c *Call, v string) { c.Direction = direction(v) }},
	{[]string{"callstatus", "status"}, func(c *Call, v string) { c.Status = Status(v) }},
	{[]string{"digits", "dtmf"}, func(c *Call, v string) { c.Digits = v }},
	{[]string{"speechresult", "speech"}, func(c *Call, v string) { c.Speech = v }},
	{[]string{"confidence"}, func(c *Call, v string) { c.Confidence = v }},
	{[]string{"recordingurl"}, func(c *Call, v string) { c.RecordingURL = v }},
	{[]string{"callduration", "duration"}, func(c *Call, v string) { c.Duration = v }},
	{[]string{"accountsid", "accountid"}, func(c *Call, v string) { c.AccountID = v }},
	{[]string{"parentcallsid", "parentid"}, func(c *Call, v string) { c.ParentID = v }},
	{[]string{"dialcallstatus", "dialstatus"}, func(c *Call, v string) { c.DialStatus = Status(v) }},
	{[]string{"callername"}, func(c *Call, v string) { c.CallerName = v }},
}

func foldKey(k string) string {
	var b strings.Builder
	for _, r := range k {
		if r == '_' || r == '-' {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Normalize reads a call event: data is the request as the gateway parsed
// it (a form's fields, or a JSON object). Fields of the webhook URL's
// query fill in what the body lacks (a platform set to GET sends them
// there; some put the call id in the URL). It is an error when data is
// not an object or no usable call id is found.
func Normalize(data json.RawMessage, query url.Values) (Event, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil || fields == nil {
		return Event{}, errors.New("a call event is a form or a JSON object")
	}
	folded := make(map[string]string, len(fields))
	for k, raw := range fields {
		if s, ok := scalar(raw); ok {
			fk := foldKey(k)
			if old, dup := folded[fk]; !dup || old == "" {
				folded[fk] = s
			}
		}
	}
	for k, vs := range query {
		if fk := foldKey(k); folded[fk] == "" && len(vs) > 0 {
			folded[fk] = vs[0]
		}
	}
	var c Call
	for _, a := range aliases {
		for _, n := range a.names {
			if v := folded[n]; v != "" {
				a.set(&c, v)
				break
			}
		}
	}
	if c.ID == "" {
		return Event{}, ErrNoCallID
	}
	if err := CheckCallID(c.ID); err != nil {
		return Event{}, err
	}
	c.Final = IsFinal(c.Status)
	return Event{Call: c, Raw: bytes.Clone(data)}, nil
}

// CheckCallID accepts 1 to 128 bytes of printable ASCII: ids are keys.
func CheckCallID(id string) error {
	if id == "" || len(id) > MaxCallIDBytes {
		return fmt.Errorf("a call id is 1 to %d bytes", MaxCallIDBytes)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return errors.New("a call id is printable ASCII without spaces")
		}
	}
	return nil
}

// scalar is a JSON string, number or boolean as text; a platform's
// numbers (digits: 1) and strings ("1") mean the same.
func scalar(raw json.RawMessage) (string, bool) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case map[string]any: // {"dtmf": {"digits": "12"}}
		if d, ok := x["digits"].(string); ok {
			return d, true
		}
	}
	return "", false
}

// Status spells a call status one way: lower case, hyphens, "canceled".
func Status(s string) string {
	s = strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", "-")
	switch s {
	case "cancelled":
		return "canceled"
	case "noanswer", "no answer":
		return "no-answer"
	case "inprogress", "answered":
		return "in-progress"
	}
	return s
}

func direction(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case strings.HasPrefix(s, "inbound"):
		return "inbound"
	case strings.HasPrefix(s, "outbound"):
		return "outbound"
	}
	return s
}

// IsFinal reports whether a status ends the call.
func IsFinal(status string) bool {
	switch status {
	case "completed", "busy", "failed", "no-answer", "canceled":
		return true
	}
	return false
}
