package routing

import (
	"errors"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
)

func TestParseTimeoutAction(t *testing.T) {
	for in, want := range map[string]TimeoutAction{
		"480 Temporarily Unavailable": {480, "Temporarily Unavailable"},
		"603 Decline":                 {603, "Decline"},
		"404 Not Found":               {404, "Not Found"},
	} {
		got, err := ParseTimeoutAction(in)
		if err != nil || got != want || got.String() != in {
			t.Fatalf("%q: %+v %v", in, got, err)
		}
	}
	for _, in := range []string{"", "480", "480 ", "200 OK", "399 Nope", "700 Too High", "48a Bad", "4800 Long", "480 Bad\r\nVia: x", "Busy 486"} {
		_, err := ParseTimeoutAction(in)
		var ve *functions.ValidationError
		if !errors.As(err, &ve) || ve.Field != "timeout_action" {
			t.Fatalf("%q accepted: %v", in, err)
		}
	}
}

func TestValidateKey(t *testing.T) {
	for _, tc := range []struct {
		kind Kind
		key  string
		ok   bool
	}{
		{KindCustomer, "carrier-7", true}, {KindCustomer, "acme.uk:trunk@2", true}, {KindCustomer, "", false},
		{KindCustomer, "-x", false}, {KindCustomer, "a/b", false}, {KindCustomer, "a b", false},
		{KindDID, "+4420794600", true}, {KindDID, "15550100", true}, {KindDID, "+", false}, {KindDID, "555-0100", false},
		{"trunk", "x", false},
	} {
		if err := ValidateKey(tc.kind, tc.key); (err == nil) != tc.ok {
			t.Fatalf("%s %q: %v", tc.kind, tc.key, err)
		}
	}
}
