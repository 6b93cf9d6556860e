package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
)

// Bounds of header manipulation in one routing answer. A switch copies
// these into SIP messages: they must stay well inside a UDP datagram.
const (
	MaxHeaderLists  = 64   // egress routes that may carry header lists
	MaxHeadersEach  = 32   // entries in one headers or remove_headers array
	MaxHeaderName   = 64   // bytes of a header name
	MaxHeaderValue  = 1024 // bytes of a header value
	MaxHeaderBytes  = 8 << 10
	maxEgressRoutes = MaxHeaderLists
)

// ShapeError is routing data whose header manipulation is malformed.
// Path names the offending value as a switch's JSON reader would reach
// it, e.g. egress_routing[2].headers[0].key.
type ShapeError struct {
	Path    string
	Message string
}

func (e *ShapeError) Error() string { return e.Path + ": " + e.Message }

func shapeErr(path, format string, args ...any) *ShapeError {
	return &ShapeError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// ValidateData checks the routing data a script returned (or the switch
// sent): an object whose headers, remove_headers and each
// egress_routing[i].headers / .remove_headers are arrays of {key, value}.
// Anything else in the data is the tenant's own and passes untouched.
// It walks the JSON without decoding what it does not check (jsonwalk.go).
func ValidateData(raw json.RawMessage) error {
	if !json.Valid(raw) || !isKind(raw, '{') {
		return shapeErr("data", "must be a JSON object ({\"routing\": {...}, \"egress_routing\": [...]})")
	}
	obj := bytes.TrimSpace(raw)
	var headers, remove, routes []byte // the last of a repeated key wins, as in a decoder
	_ = members(obj, func(key string, v []byte) error {
		switch key {
		case "headers":
			headers = v
		case "remove_headers":
			remove = v
		case "egress_routing":
			routes = v
		}
		return nil
	})
	total := 0
	if err := checkLists(headers, remove, "", &total); err != nil {
		return err
	}
	if routes == nil || isNull(routes) {
		return nil
	}
	if !isKind(routes, '[') {
		return shapeErr("egress_routing", "must be an array of egress routes, not %s", kind(routes))
	}
	if n := count(routes); n > maxEgressRoutes {
		return shapeErr("egress_routing", "has %d routes; at most %d", n, maxEgressRoutes)
	}
	return elements(routes, func(i int, r []byte) error {
		path := "egress_routing[" + strconv.Itoa(i) + "]"
		if !isKind(r, '{') {
			return shapeErr(path, "must be an object, not %s", kind(r))
		}
		var headers, remove []byte
		_ = members(r, func(key string, v []byte) error {
			switch key {
			case "headers":
				headers = v
			case "remove_headers":
				remove = v
			}
			return nil
		})
		return checkLists(headers, remove, path+".", &total)
	})
}

// checkLists checks one object's headers and remove_headers (nil when
// absent), adding their bytes to total.
func checkLists(headers, remove []byte, prefix string, total *int) error {
	if headers != nil && !isNull(headers) {
		if err := checkList(headers, prefix+"headers", true, total); err != nil {
			return err
		}
	}
	if remove != nil && !isNull(remove) {
		return checkList(remove, prefix+"remove_headers", false, total)
	}
	return nil
}

func checkList(v []byte, path string, adding bool, total *int) error {
	if !isKind(v, '[') {
		return shapeErr(path, "must be an array of {key, value}, not %s", kind(v))
	}
	if n := count(v); n > MaxHeadersEach {
		return shapeErr(path, "has %d entries; at most %d", n, MaxHeadersEach)
	}
	return elements(v, func(i int, e []byte) error {
		at := path + "[" + strconv.Itoa(i) + "]"
		if !isKind(e, '{') {
			return shapeErr(at, "must be an object {key, value}, not %s", kind(e))
		}
		var rawKey, value []byte
		err := members(e, func(field string, fv []byte) error {
			switch field {
			case "key":
				rawKey = fv
			case "value":
				value = fv
			default:
				return shapeErr(at+"."+field, "is not a header field; an entry has only key and value")
			}
			return nil
		})
		if err != nil {
			return err
		}
		var key string
		switch {
		case rawKey == nil || isNull(rawKey):
			return shapeErr(at+".key", "is required")
		case !isKind(rawKey, '"'):
			return shapeErr(at+".key", "must be a string, not %s", kind(rawKey))
		}
		key = unquote(rawKey)
		switch {
		case key == "" || len(key) > MaxHeaderName:
			return shapeErr(at+".key", "must be 1–%d characters", MaxHeaderName)
		case !sipToken(key):
			return shapeErr(at+".key", "%q is not a SIP header name (letters, digits and - . ! %% * _ + ` ' ~)", truncate(key, 40))
		}
		text := ""
		switch {
		case value == nil:
			if adding {
				return shapeErr(at+".value", "is required when adding a header")
			}
		case isKind(value, '"'):
			text = unquote(value)
		case isNumber(value):
			text = string(value)
		default:
			return shapeErr(at+".value", "must be a string or a number, not %s", kind(value))
		}
		if len(text) > MaxHeaderValue {
			return shapeErr(at+".value", "is %d bytes; at most %d", len(text), MaxHeaderValue)
		}
		for j := 0; j < len(text); j++ {
			// CR, LF or NUL would end the header line in the SIP message
			// and let a value inject headers of its own.
			if c := text[j]; (c < 0x20 && c != '\t') || c == 0x7f {
				return shapeErr(at+".value", "has a control character at byte %d", j)
			}
		}
		*total += len(key) + len(text)
		if *total > MaxHeaderBytes {
			return shapeErr(at, "header names and values add up to more than %d bytes", MaxHeaderBytes)
		}
		return nil
	})
}

// first is a raw JSON value's first byte (0 for an empty one).
func first(v json.RawMessage) byte {
	v = bytes.TrimLeft(v, " \t\r\n")
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

func isKind(v json.RawMessage, b byte) bool { return first(v) == b }
func isNull(v json.RawMessage) bool         { return first(v) == 'n' }
func isNumber(v json.RawMessage) bool {
	b := first(v)
	return b == '-' || ('0' <= b && b <= '9')
}

// sipToken reports whether s is an RFC 3261 token, what a header name is.
func sipToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' || c == '+' || c == '`' || c == '\'' || c == '~':
		default:
			return false
		}
	}
	return true
}

// kind names a raw JSON value's type for an error message.
func kind(v json.RawMessage) string {
	switch first(v) {
	case 'n':
		return "null"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case '[':
		return "an array"
	case '{':
		return "an object"
	}
	return "a number"
}
