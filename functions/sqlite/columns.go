package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

// jsonColumn scans a TEXT column holding a JSON array into *dst. An empty
// array (or NULL) becomes an empty, non-nil slice, so values read back
// encode as [] rather than null in API responses.
type jsonColumn[T any] struct{ dst *[]T }

func (c jsonColumn[T]) Scan(src any) error {
	b, err := textBytes(src)
	if err != nil {
		return err
	}
	var out []T
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("json column: %w", err)
		}
	}
	if out == nil {
		out = []T{}
	}
	*c.dst = out
	return nil
}

// encodeJSON encodes a slice for a jsonColumn; nil is stored as [].
func encodeJSON[T any](v []T) (string, error) {
	if v == nil {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// millisColumn scans an INTEGER unix-milliseconds column into a UTC time.
type millisColumn struct{ dst *time.Time }

func (c millisColumn) Scan(src any) error {
	ms, ok := src.(int64)
	if !ok {
		return fmt.Errorf("time column: unexpected %T", src)
	}
	*c.dst = fromMillis(ms)
	return nil
}

// objectColumn scans a TEXT column holding one JSON object into *dst; an
// empty string leaves the zero value.
type objectColumn[T any] struct{ dst *T }

func (c objectColumn[T]) Scan(src any) error {
	b, err := textBytes(src)
	if err != nil {
		return err
	}
	var out T
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return fmt.Errorf("json column: %w", err)
		}
	}
	*c.dst = out
	return nil
}

// textBytes is a TEXT column's value as bytes; NULL is none.
func textBytes(src any) ([]byte, error) {
	switch v := src.(type) {
	case nil:
		return nil, nil
	case string:
		return []byte(v), nil
	case []byte:
		return v, nil
	}
	return nil, fmt.Errorf("json column: unexpected %T", src)
}

// queryAll runs a query and scans every row with scan. The result is empty,
// not nil, when there are no rows: it encodes as [] in JSON.
func queryAll[T any](ctx context.Context, q querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// storedVoice is functions.VoiceSettings as the voice column keeps it:
// with the signing secret, which the model never encodes.
type storedVoice struct {
	StateTTLS     int    `json:"state_ttl_s,omitempty"`
	StateMaxBytes int    `json:"state_max_bytes,omitempty"`
	SigningScheme string `json:"signing_scheme,omitempty"`
	SigningSecret string `json:"signing_secret,omitempty"`
}

func encodeVoice(v functions.VoiceSettings) string {
	b, _ := json.Marshal(storedVoice{v.StateTTLS, v.StateMaxBytes, v.SigningScheme, v.SigningSecret}) // strings and ints only
	return string(b)
}

// voiceColumn scans the voice column.
type voiceColumn struct{ dst *functions.VoiceSettings }

func (c voiceColumn) Scan(src any) error {
	var sv storedVoice
	if err := (objectColumn[storedVoice]{dst: &sv}).Scan(src); err != nil {
		return err
	}
	*c.dst = functions.VoiceSettings{StateTTLS: sv.StateTTLS, StateMaxBytes: sv.StateMaxBytes, SigningScheme: sv.SigningScheme, SigningSecret: sv.SigningSecret, SecretSet: sv.SigningSecret != ""}
	return nil
}
