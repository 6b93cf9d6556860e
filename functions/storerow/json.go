package storerow

import (
	"encoding/json"
	"fmt"

	"github.com/scriptforge/scriptforge/functions"
)

// The JSON columns are TEXT: an array (env, logs, scopes, a run's errors)
// or one object (limits, voice, retention).

// DecodeList decodes a column holding a JSON array. An empty array, or
// "", becomes an empty, non-nil slice, which encodes as [] rather than
// null in API responses.
func DecodeList[T any](text string, dst *[]T) error {
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

// EncodeList encodes a slice for DecodeList; nil is stored as [].
func EncodeList[T any](v []T) (string, error) {
	if v == nil {
		return "[]", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// DecodeObject decodes a column holding one JSON object; "" leaves the
// zero value.
func DecodeObject[T any](text string, dst *T) error {
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
// with the signing secret, which the model never encodes.
type storedVoice struct {
	StateTTLS     int    `json:"state_ttl_s,omitempty"`
	StateMaxBytes int    `json:"state_max_bytes,omitempty"`
	SigningScheme string `json:"signing_scheme,omitempty"`
	SigningSecret string `json:"signing_secret,omitempty"`
}

// EncodeVoice is the voice column's value, secret included.
func EncodeVoice(v functions.VoiceSettings) string {
	b, _ := json.Marshal(storedVoice{v.StateTTLS, v.StateMaxBytes, v.SigningScheme, v.SigningSecret}) // strings and ints only
	return string(b)
}

// DecodeVoice reads the voice column; SecretSet tells whether it holds a
// secret.
func DecodeVoice(text string) (functions.VoiceSettings, error) {
	var sv storedVoice
	if err := DecodeObject(text, &sv); err != nil {
		return functions.VoiceSettings{}, err
	}
	return functions.VoiceSettings{StateTTLS: sv.StateTTLS, StateMaxBytes: sv.StateMaxBytes, SigningScheme: sv.SigningScheme,
		SigningSecret: sv.SigningSecret, SecretSet: sv.SigningSecret != ""}, nil
}
