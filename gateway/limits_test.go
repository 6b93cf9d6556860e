package gateway

import "testing"

func TestJSONTooDeep(t *testing.T) {
	for _, tc := range []struct {
		json  string
		limit int
		deep  bool
	}{
		{`{}`, 1, false},
		{`{"a":{"b":1}}`, 1, true},
		{`{"a":{"b":1}}`, 2, false},
		{`[[[]]]`, 2, true},
		{`["[[[[", "{{{{"]`, 1, false},    // brackets in strings do not count
		{`["\"[[[", "\\", [1]]`, 1, true}, // escaped quotes and backslashes end strings right
		{`[{}, {}, {}, {}]`, 2, false},    // siblings do not add up
		{`"plain string"`, 0, false},
	} {
		if got := jsonTooDeep([]byte(tc.json), tc.limit); got != tc.deep {
			t.Errorf("%s at limit %d: too deep = %v", tc.json, tc.limit, got)
		}
	}
}
