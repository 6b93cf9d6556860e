package storetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
)

// Env is stored as JSON text: every flag and awkward value must come back
// exactly, through Create's answer, Get and Versions alike.
func testEnvRoundTrip(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	tests := []struct {
		name string
		env  []functions.EnvVar
		want []functions.EnvVar
	}{
		{"nil reads back empty", nil, []functions.EnvVar{}},
		{"empty", []functions.EnvVar{}, []functions.EnvVar{}},
		{"all flags", []functions.EnvVar{
			{Name: "PLAIN", Value: "p", Flag: functions.EnvPlain},
			{Name: "PROT", Value: "s3cr3t", Flag: functions.EnvProtected},
			{Name: "PRIV", Value: "tok_123", Flag: functions.EnvPrivate},
		}, nil},
		{"awkward values", []functions.EnvVar{
			{Name: "EMPTY", Value: "", Flag: functions.EnvPlain},
			{Name: "QUOTES", Value: `"'; DROP TABLE functions; --`, Flag: functions.EnvPrivate},
			{Name: "UNICODE", Value: "héllo ☎ \u0000 \n\t", Flag: functions.EnvProtected},
		}, nil},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if want == nil {
				want = tt.env
			}
			nv := sampleVersion("x")
			nv.Env = tt.env
			created, err := s.Create(ctx, "acme", "env"+string(rune('a'+i)), functions.Settings{}, nv)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(created.Version.Env, want) {
				t.Errorf("Create returned env %#v, want %#v", created.Version.Env, want)
			}
			// Deploy the same env as version 2 and read both back.
			if _, err := s.Deploy(ctx, "acme", created.ID, nv); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "acme", created.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got.Version.Env, want) {
				t.Errorf("Get env = %#v, want %#v", got.Version.Env, want)
			}
			vs, err := s.Versions(ctx, "acme", created.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range vs {
				if !reflect.DeepEqual(v.Env, want) {
					t.Errorf("version %d env = %#v, want %#v", v.Number, v.Env, want)
				}
			}
		})
	}
}
