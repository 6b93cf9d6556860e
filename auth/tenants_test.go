package auth

import (
	"strings"
	"testing"
)

func TestValidateTenantID(t *testing.T) {
	for id, ok := range map[string]bool{
		"acme": true, "a1": true, "team-42": true, "default": true,
		"": false, "a": false, "Acme": false, "-acme": false, "acme_corp": false, "a/b": false,
		strings.Repeat("a", 63): true, strings.Repeat("a", 64): false,
	} {
		if err := ValidateTenantID(id); (err == nil) != ok {
			t.Errorf("%q: %v", id, err)
		}
	}
}

func TestTenantLimitsValidate(t *testing.T) {
	for _, tc := range []struct {
		limits TenantLimits
		field  string // "" when valid
	}{
		{TenantLimits{}, ""},
		{TenantLimits{Rate: 100, Burst: 200, IPRate: 5, IPBurst: 10, Concurrency: 50}, ""},
		{TenantLimits{Rate: -1}, "limits.rate"},
		{TenantLimits{Burst: -5}, "limits.burst"},
		{TenantLimits{IPRate: 2e6}, "limits.ip_rate"},
		{TenantLimits{IPBurst: -1}, "limits.ip_burst"},
		{TenantLimits{Concurrency: 1e6}, "limits.concurrency"},
	} {
		err := tc.limits.Validate()
		if tc.field == "" && err != nil || tc.field != "" && (err == nil || !strings.Contains(err.Error(), tc.field+" ")) {
			t.Errorf("%+v: %v (want an error on %q)", tc.limits, err, tc.field)
		}
	}
}
