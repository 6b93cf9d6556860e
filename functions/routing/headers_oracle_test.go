package routing

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The decoding validator ValidateData replaced, kept as the fuzz test's
// oracle: the walker must agree with it on every input.

// ValidateData checks the routing data a script returned (or the switch
// sent): an object whose headers, remove_headers and each
// egress_routing[i].headers / .remove_headers are arrays of {key, value}.
// Anything else in the data is the tenant's own and passes untouched.
//
// It decodes only as deep as it checks (objects as raw members): a full
// decode into maps cost a quarter of the gateway's CPU on a routed call.
func oracleValidateData(raw json.RawMessage) error {
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil || data == nil {
		return shapeErr("data", "must be a JSON object ({\"routing\": {...}, \"egress_routing\": [...]})")
	}
	total := 0
	if err := oracleCheckLists(data, "", &total); err != nil {
		return err
	}
	routes, ok := data["egress_routing"]
	if !ok || isNull(routes) {
		return nil
	}
	var list []json.RawMessage
	if !isKind(routes, '[') || json.Unmarshal(routes, &list) != nil {
		return shapeErr("egress_routing", "must be an array of egress routes, not %s", kind(routes))
	}
	if len(list) > maxEgressRoutes {
		return shapeErr("egress_routing", "has %d routes; at most %d", len(list), maxEgressRoutes)
	}
	for i, r := range list {
		path := "egress_routing[" + strconv.Itoa(i) + "]"
		var route map[string]json.RawMessage
		if !isKind(r, '{') || json.Unmarshal(r, &route) != nil {
			return shapeErr(path, "must be an object, not %s", kind(r))
		}
		if err := oracleCheckLists(route, path+".", &total); err != nil {
			return err
		}
	}
	return nil
}

// checkLists checks the headers and remove_headers of one object, adding
// their bytes to total.
func oracleCheckLists(obj map[string]json.RawMessage, prefix string, total *int) error {
	for _, name := range []string{"headers", "remove_headers"} {
		v, ok := obj[name]
		if !ok || isNull(v) {
			continue
		}
		if err := oracleCheckList(v, prefix+name, name == "headers", total); err != nil {
			return err
		}
	}
	return nil
}

func oracleCheckList(v json.RawMessage, path string, adding bool, total *int) error {
	var list []json.RawMessage
	if !isKind(v, '[') || json.Unmarshal(v, &list) != nil {
		return shapeErr(path, "must be an array of {key, value}, not %s", kind(v))
	}
	if len(list) > MaxHeadersEach {
		return shapeErr(path, "has %d entries; at most %d", len(list), MaxHeadersEach)
	}
	for i, e := range list {
		at := path + "[" + strconv.Itoa(i) + "]"
		var entry map[string]json.RawMessage
		if !isKind(e, '{') || json.Unmarshal(e, &entry) != nil {
			return shapeErr(at, "must be an object {key, value}, not %s", kind(e))
		}
		for field := range entry {
			if field != "key" && field != "value" {
				return shapeErr(at+"."+field, "is not a header field; an entry has only key and value")
			}
		}
		rawKey, ok := entry["key"]
		var key string
		switch {
		case !ok || isNull(rawKey):
			return shapeErr(at+".key", "is required")
		case !isKind(rawKey, '"') || json.Unmarshal(rawKey, &key) != nil:
			return shapeErr(at+".key", "must be a string, not %s", kind(rawKey))
		case key == "" || len(key) > MaxHeaderName:
			return shapeErr(at+".key", "must be 1–%d characters", MaxHeaderName)
		case !sipToken([]byte(key)):
			return shapeErr(at+".key", "%q is not a SIP header name (letters, digits and - . ! %% * _ + ` ' ~)", truncate(key, 40))
		}
		value, present := entry["value"]
		text := ""
		switch {
		case !present:
			if adding {
				return shapeErr(at+".value", "is required when adding a header")
			}
		case isKind(value, '"'):
			if json.Unmarshal(value, &text) != nil {
				return shapeErr(at+".value", "is not a valid string")
			}
		case isNumber(value):
			text = string(bytes.TrimSpace(value))
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
	}
	return nil
}
