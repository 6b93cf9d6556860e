package routing

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/scriptforge/scriptforge/functions/jsonwalk"
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

func notAnObject() *ShapeError {
	return shapeErr("data", "must be a JSON object ({\"routing\": {...}, \"egress_routing\": [...]})")
}

func shapeErr(path, format string, args ...any) *ShapeError {
	return &ShapeError{Path: path, Message: fmt.Sprintf(format, args...)}
}

// ValidateData checks the routing data a script returned (or the switch
// sent): an object whose headers, remove_headers and each
// egress_routing[i].headers / .remove_headers are arrays of {key, value}.
// Anything else in the data is the tenant's own and passes untouched.
// It walks the JSON without decoding what it does not check (jsonwalk.go),
// and builds an error's path only when there is an error: it runs after
// every step of every routed call, and allocates nothing on valid data.
func ValidateData(raw json.RawMessage) error {
	if !json.Valid(raw) {
		return notAnObject()
	}
	return ValidateShape(raw)
}

// ValidateShape is ValidateData for text known to be valid JSON: a body
// the gateway has checked, or a result an engine wrote. json.Valid was
// 40% of ValidateData's time, and a chain validates its data once per
// step and twice in the gateway.
func ValidateShape(raw json.RawMessage) error {
	if !isKind(raw, '{') {
		return notAnObject()
	}
	headers, remove, routes := headerMembers(bytes.TrimSpace(raw), true)
	total := 0
	if err := checkLists(headers, remove, -1, &total); err != nil {
		return err
	}
	if routes == nil || isNull(routes) {
		return nil
	}
	if !isKind(routes, '[') {
		return shapeErr("egress_routing", "must be an array of egress routes, not %s", kind(routes))
	}
	if n := jsonwalk.Count(routes); n > maxEgressRoutes {
		return shapeErr("egress_routing", "has %d routes; at most %d", n, maxEgressRoutes)
	}
	it := jsonwalk.Elements(routes)
	for i := 0; ; i++ {
		r, ok := it.Next()
		if !ok {
			return nil
		}
		if !isKind(r, '{') {
			return shapeErr(routePath(i), "must be an object, not %s", kind(r))
		}
		headers, remove, _ := headerMembers(r, false)
		if err := checkLists(headers, remove, i, &total); err != nil {
			return err
		}
	}
}

// headerMembers finds an object's headers, remove_headers and (when
// asked) egress_routing; the last of a repeated key wins, as in a decoder.
func headerMembers(obj []byte, withRoutes bool) (headers, remove, routes []byte) {
	it := jsonwalk.Members(obj)
	for {
		key, v, ok := it.Next()
		switch {
		case !ok:
			return headers, remove, routes
		case jsonwalk.KeyIs(key, "headers"):
			headers = v
		case jsonwalk.KeyIs(key, "remove_headers"):
			remove = v
		case withRoutes && jsonwalk.KeyIs(key, "egress_routing"):
			routes = v
		}
	}
}

// routePath is egress_routing[i]; listPath the path of a header list of
// the call (route -1) or of route i.
func routePath(i int) string { return "egress_routing[" + strconv.Itoa(i) + "]" }

func listPath(route int, name string) string {
	if route < 0 {
		return name
	}
	return routePath(route) + "." + name
}

// checkLists checks one object's headers and remove_headers (nil when
// absent), adding their bytes to total.
func checkLists(headers, remove []byte, route int, total *int) error {
	if headers != nil && !isNull(headers) {
		if err := checkList(headers, route, "headers", true, total); err != nil {
			return err
		}
	}
	if remove != nil && !isNull(remove) {
		return checkList(remove, route, "remove_headers", false, total)
	}
	return nil
}

func checkList(v []byte, route int, name string, adding bool, total *int) error {
	if !isKind(v, '[') {
		return shapeErr(listPath(route, name), "must be an array of {key, value}, not %s", kind(v))
	}
	if n := jsonwalk.Count(v); n > MaxHeadersEach {
		return shapeErr(listPath(route, name), "has %d entries; at most %d", n, MaxHeadersEach)
	}
	entries := jsonwalk.Elements(v)
	for i := 0; ; i++ {
		e, ok := entries.Next()
		if !ok {
			return nil
		}
		at := func() string { return listPath(route, name) + "[" + strconv.Itoa(i) + "]" }
		if !isKind(e, '{') {
			return shapeErr(at(), "must be an object {key, value}, not %s", kind(e))
		}
		var rawKey, value []byte
		fields := jsonwalk.Members(e)
		for {
			field, fv, ok := fields.Next()
			if !ok {
				break
			}
			switch {
			case jsonwalk.KeyIs(field, "key"):
				rawKey = fv
			case jsonwalk.KeyIs(field, "value"):
				value = fv
			default:
				return shapeErr(at()+"."+jsonwalk.Unquote(field), "is not a header field; an entry has only key and value")
			}
		}
		switch {
		case rawKey == nil || isNull(rawKey):
			return shapeErr(at()+".key", "is required")
		case !isKind(rawKey, '"'):
			return shapeErr(at()+".key", "must be a string, not %s", kind(rawKey))
		}
		key := plainText(rawKey)
		switch {
		case len(key) == 0 || len(key) > MaxHeaderName:
			return shapeErr(at()+".key", "must be 1–%d characters", MaxHeaderName)
		case !sipToken(key):
			return shapeErr(at()+".key", "%q is not a SIP header name (letters, digits and - . ! %% * _ + ` ' ~)", truncate(string(key), 40))
		}
		var text []byte
		switch {
		case value == nil:
			if adding {
				return shapeErr(at()+".value", "is required when adding a header")
			}
		case isKind(value, '"'):
			text = plainText(value)
		case isNumber(value):
			text = value
		default:
			return shapeErr(at()+".value", "must be a string or a number, not %s", kind(value))
		}
		if len(text) > MaxHeaderValue {
			return shapeErr(at()+".value", "is %d bytes; at most %d", len(text), MaxHeaderValue)
		}
		for j := 0; j < len(text); j++ {
			// CR, LF or NUL would end the header line in the SIP message
			// and let a value inject headers of its own.
			if c := text[j]; (c < 0x20 && c != '\t') || c == 0x7f {
				return shapeErr(at()+".value", "has a control character at byte %d", j)
			}
		}
		*total += len(key) + len(text)
		if *total > MaxHeaderBytes {
			return shapeErr(at(), "header names and values add up to more than %d bytes", MaxHeaderBytes)
		}
	}
}

// plainText is a string literal's text: the bytes between the quotes
// when they are plain ASCII (no copy), else the string as a decoder reads
// it (escapes decoded, bad UTF-8 replaced), as unquote does.
func plainText(lit []byte) []byte {
	if len(lit) >= 2 {
		plain := true
		for _, c := range lit[1 : len(lit)-1] {
			if c == '\\' || c >= 0x80 {
				plain = false
				break
			}
		}
		if plain {
			return lit[1 : len(lit)-1]
		}
	}
	return []byte(jsonwalk.Unquote(lit))
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
func sipToken(s []byte) bool {
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
