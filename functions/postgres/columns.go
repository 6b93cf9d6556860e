package postgres

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/scriptforge/scriptforge/functions"
)

// decodeList decodes a TEXT column holding a JSON array. An empty array
// becomes an empty, non-nil slice, which encodes as [] rather than null.
func decodeList[T any](text string, dst *[]T) error {
	var out []T
	if text != "" {
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			return fmt.Errorf("json column: %w", err)
		}
	}
	if out == nil {
		out = []T{}
	}
	*dst = out
	return nil
}

// encodeList encodes a slice for decodeList; nil is stored as [].
func encodeList[T any](v []T) (string, error) {
	if v == nil {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// decodeObject decodes a TEXT column holding one JSON object; "" leaves
// the zero value.
func decodeObject[T any](text string, dst *T) error {
	var out T
	if text != "" {
		if err := json.Unmarshal([]byte(text), &out); err != nil {
			return fmt.Errorf("json column: %w", err)
		}
	}
	*dst = out
	return nil
}

// storedVoice is functions.VoiceSettings as the voice column keeps it:
// with the signing secret, which the model never encodes. The same JSON
// as the SQLite store's column.
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

func decodeVoice(text string) (functions.VoiceSettings, error) {
	var sv storedVoice
	if err := decodeObject(text, &sv); err != nil {
		return functions.VoiceSettings{}, err
	}
	return functions.VoiceSettings{StateTTLS: sv.StateTTLS, StateMaxBytes: sv.StateMaxBytes, SigningScheme: sv.SigningScheme,
		SigningSecret: sv.SigningSecret, SecretSet: sv.SigningSecret != ""}, nil
}

// pgText makes free text that a function produced (an error message) fit
// a TEXT column: PostgreSQL refuses NUL bytes and invalid UTF-8, which
// SQLite stores, and one refused run record would fail its whole batch.
// Each offending byte becomes U+FFFD.
func pgText(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
