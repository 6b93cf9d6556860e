package functions

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions/contract"
	"github.com/scriptforge/scriptforge/functions/schedule"
)

func TestValidateEnv(t *testing.T) {
	ok := EnvVar{Name: "A", Value: "1", Flag: EnvPlain}
	cases := []struct {
		name string
		env  []EnvVar
		msg  string // "" = valid
	}{
		{"valid", []EnvVar{{Name: "B_2", Value: "x", Flag: EnvPrivate}, ok}, ""},
		{"digit first", []EnvVar{{Name: "1A", Flag: EnvPlain}}, "letters, digits"},
		{"dash", []EnvVar{{Name: "A-B", Flag: EnvPlain}}, "letters, digits"},
		{"reserved", []EnvVar{{Name: "EXEC_HOST", Flag: EnvPlain}}, "set by the runtime"},
		{"reserved prefix", []EnvVar{{Name: "SCRIPTFORGE_X", Flag: EnvPlain}}, "set by the runtime"},
		{"bad flag", []EnvVar{{Name: "A", Flag: "secret"}}, "flag"},
		{"duplicate", []EnvVar{ok, ok}, "twice"},
		{"long value", []EnvVar{{Name: "A", Value: strings.Repeat("x", MaxEnvValue+1), Flag: EnvPlain}}, "longer than"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := ValidateEnv(c.env)
			if c.msg == "" {
				if err != nil || out[0].Name != "A" {
					t.Fatalf("want valid and sorted, got %v %v", out, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %q", err, c.msg)
			}
		})
	}
	many := make([]EnvVar, 0, 40)
	for i := 0; i < 40; i++ {
		many = append(many, EnvVar{Name: "V" + strings.Repeat("A", i), Value: strings.Repeat("x", 1000), Flag: EnvPlain})
	}
	if _, err := ValidateEnv(many); err == nil || !strings.Contains(err.Error(), "add up") {
		t.Fatalf("total size not enforced: %v", err)
	}
}

func TestLimitsAndNames(t *testing.T) {
	l := Limits{DefaultTimeoutMS: 2000, MaxTimeoutMS: 30000, DefaultMemoryMB: 128, MaxMemoryMB: 1024}
	n := func(v int) *int { return &v }
	if v, err := l.Timeout(nil); v != 2000 || err != nil {
		t.Fatal("default timeout")
	}
	for _, bad := range []int{0, -1, 30001} {
		if _, err := l.Timeout(n(bad)); err == nil {
			t.Fatalf("timeout %d accepted", bad)
		}
	}
	if _, err := l.Memory(n(8)); err == nil {
		t.Fatal("memory below the minimum accepted")
	}
	if v, _ := l.Memory(n(256)); v != 256 {
		t.Fatal("memory 256 refused")
	}
	for name, valid := range map[string]bool{"route": true, "a.b-c_d": true, "": false, "-x": false, "a/b": false, strings.Repeat("a", 65): false} {
		if (ValidateName(name) == nil) != valid {
			t.Fatalf("name %q: valid=%v", name, !valid)
		}
	}
	if !ValidExport("main") || !ValidExport("$x_1") || ValidExport("a-b") || ValidExport("1a") {
		t.Fatal("export names")
	}
}

func TestValidateSettings(t *testing.T) {
	for _, tc := range []struct {
		name  string
		in    Settings
		want  Settings
		field string // "" when valid
	}{
		{"empty is public without limits", Settings{}, Settings{Auth: AuthPublic}, ""},
		{"jwt", Settings{Auth: AuthJWT}, Settings{Auth: AuthJWT}, ""},
		{"rate gets a second's burst", Settings{Auth: AuthAPIKey, Limits: UsageLimits{Rate: 2.5}}, Settings{Auth: AuthAPIKey, Limits: UsageLimits{Rate: 2.5, Burst: 3}}, ""},
		{"slow rate bursts to one", Settings{Limits: UsageLimits{Rate: 0.1}}, Settings{Auth: AuthPublic, Limits: UsageLimits{Rate: 0.1, Burst: 1}}, ""},
		{"explicit burst kept", Settings{Limits: UsageLimits{Rate: 10, Burst: 50, Concurrency: 4}}, Settings{Auth: AuthPublic, Limits: UsageLimits{Rate: 10, Burst: 50, Concurrency: 4}}, ""},
		{"unknown auth", Settings{Auth: "basic"}, Settings{}, "auth"},
		{"negative rate", Settings{Limits: UsageLimits{Rate: -1}}, Settings{}, "limits.rate"},
		{"huge rate", Settings{Limits: UsageLimits{Rate: 2e6}}, Settings{}, "limits.rate"},
		{"burst without rate", Settings{Limits: UsageLimits{Burst: 5}}, Settings{}, "limits.burst"},
		{"negative concurrency", Settings{Limits: UsageLimits{Concurrency: -2}}, Settings{}, "limits.concurrency"},
		{"run-first with order", Settings{RoutingPriority: RoutingRunFirst, RoutingOrder: -3}, Settings{Auth: AuthPublic, RoutingPriority: RoutingRunFirst, RoutingOrder: -3}, ""},
		{"unknown routing priority", Settings{RoutingPriority: "first"}, Settings{}, "routing_priority"},
		{"routing order out of range", Settings{RoutingPriority: RoutingRunLast, RoutingOrder: 2_000_000}, Settings{}, "routing_order"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ValidateSettings(tc.in)
			var ve *ValidationError
			switch {
			case tc.field == "" && (err != nil || got != tc.want):
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			case tc.field != "" && (!errors.As(err, &ve) || ve.Field != tc.field):
				t.Fatalf("got %v; want an error on %s", err, tc.field)
			}
		})
	}
}

func TestRoutingPriorityJSON(t *testing.T) {
	for text, want := range map[string]RoutingPriority{`"disabled"`: RoutingDisabled, `"run-first"`: RoutingRunFirst, `"run-last"`: RoutingRunLast} {
		var p RoutingPriority
		if err := json.Unmarshal([]byte(text), &p); err != nil || p != want {
			t.Fatalf("%s read as %q, %v", text, p, err)
		}
		if b, _ := json.Marshal(p); string(b) != text {
			t.Fatalf("%q written as %s", p, b)
		}
	}
}

// Schemas are checked by ValidateSettings (a *contract.SchemaError names
// the field), and JSONSchema encodes as the JSON value itself.
func TestSchemaSettings(t *testing.T) {
	for _, tt := range []struct {
		name     string
		set      Settings
		field    string // "" = valid
		contains string
	}{
		{"none", Settings{}, "", ""},
		{"both", Settings{InputSchema: `{"type":"object"}`, OutputSchema: `true`}, "", ""},
		{"bad input", Settings{InputSchema: `{"type":1}`}, "input_schema", "type"},
		{"bad output", Settings{OutputSchema: `{"$ref":"#"}`}, "output_schema", "$ref loop"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateSettings(tt.set)
			var se *contract.SchemaError
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.field != "" && (!errors.As(err, &se) || se.Field != tt.field || !strings.Contains(se.Problem, tt.contains)):
				t.Fatalf("err = %v, want a SchemaError of %s saying %q", err, tt.field, tt.contains)
			}
		})
	}
	var s struct {
		In  JSONSchema `json:"in"`
		Out JSONSchema `json:"out,omitempty"`
	}
	if err := json.Unmarshal([]byte(`{"in": { "type" : "string" }, "out": null}`), &s); err != nil || s.In != `{"type":"string"}` || s.Out != "" {
		t.Fatalf("decoded %+v %v", s, err)
	}
	if b, err := json.Marshal(s); err != nil || string(b) != `{"in":{"type":"string"}}` {
		t.Fatalf("encoded %s %v", b, err)
	}
}

func TestScheduleSettings(t *testing.T) {
	for _, c := range []struct {
		name  string
		json  string // the schedule value in a settings object
		want  string // the stored schedule; "" with field set means an error
		field string
	}{
		{"none", `null`, "", ""},
		{"cron in a zone", `{"cron":"*/5 * * * *","tz":"Europe/Paris"}`, `{"cron":"*/5 * * * *","tz":"Europe/Paris","overlap":"skip"}`, ""},
		{"fields, normalised", `{"minutes":[30,0],"hours":[9],"days_of_week":[1,2,3,4,5],"overlap":"allow"}`,
			`{"minutes":[0,30],"hours":[9],"days_of_week":[1,2,3,4,5],"tz":"UTC","overlap":"allow"}`, ""},
		{"bad cron", `{"cron":"61 * * * *"}`, "", "schedule.cron"},
		{"seconds", `{"cron":"0 0 * * * *"}`, "", "schedule.cron"},
		{"bad zone", `{"cron":"@daily","tz":"Europe/Pariss"}`, "", "schedule.tz"},
		{"bad overlap", `{"cron":"@daily","overlap":"queue"}`, "", "schedule.overlap"},
		{"minute out of range", `{"minutes":[75]}`, "", "schedule.minutes"},
		{"minutes not a list", `{"minutes":"0,30"}`, "", "schedule.minutes"},
		{"unknown field", `{"cron":"@daily","timezone":"UTC"}`, "", "schedule"},
		{"a string", `"*/5 * * * *"`, "", "schedule"},
		{"empty object", `{}`, "", "schedule.cron"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var s Settings
			if err := json.Unmarshal([]byte(`{"schedule":`+c.json+`}`), &s); err != nil {
				t.Fatal(err)
			}
			got, err := ValidateSettings(s)
			if c.field != "" {
				var se *schedule.Error
				if !errors.As(err, &se) || se.Field != c.field {
					t.Fatalf("err = %v, want a schedule.Error on %s", err, c.field)
				}
				return
			}
			if err != nil || string(got.Schedule) != c.want {
				t.Fatalf("schedule = %s, %v; want %s", got.Schedule, err, c.want)
			}
			// Stored once validated, it reads back the same.
			if again, err := ValidateSettings(got); err != nil || again != got {
				t.Fatalf("not stable: %s %v", again.Schedule, err)
			}
		})
	}
}
