package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/scriptforge/scriptforge/functions"
)

func testFunctionSettings(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	jwt := functions.Settings{Auth: functions.AuthJWT, Limits: functions.UsageLimits{Rate: 5, Burst: 10, Concurrency: 2}, FreshRuntime: true,
		CallbackURL: "https://partner.example.com/results"}
	d, err := s.Create(ctx, "acme", "guarded", jwt, sampleVersion("x"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Settings != jwt {
		t.Fatalf("created with %+v", d.Settings)
	}
	plain := mustCreate(t, s, "acme", "plain")
	if plain.Auth != functions.AuthPublic || plain.Limits != (functions.UsageLimits{}) || plain.FreshRuntime {
		t.Fatalf("default settings: %+v", plain.Settings)
	}
	byUUID, err := s.ByUUID(ctx, d.UUID)
	if err != nil || byUUID.Settings != jwt {
		t.Fatalf("ByUUID: %+v %v", byUUID.Settings, err)
	}

	key := functions.Settings{Auth: functions.AuthAPIKey} // fresh_runtime back to warm, no callback URL
	f, err := s.UpdateSettings(ctx, "acme", d.ID, key)
	if err != nil || f.Settings != key || !f.UpdatedAt.After(d.UpdatedAt) {
		t.Fatalf("UpdateSettings: %+v %v", f, err)
	}
	if _, err := s.UpdateSettings(ctx, "other", d.ID, jwt); !errors.Is(err, functions.ErrNotFound) {
		t.Fatalf("another tenant changed the settings: %v", err)
	}
	// Settings are the function's, not a version's: a rollback keeps them.
	if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("y")); err != nil {
		t.Fatal(err)
	}
	rolled, err := s.Rollback(ctx, "acme", d.ID, 1)
	if err != nil || rolled.Settings != key {
		t.Fatalf("after rollback: %+v %v", rolled.Settings, err)
	}
	key.CallbackURL = "https://partner.example.com/v2"
	if f, err := s.UpdateSettings(ctx, "acme", d.ID, key); err != nil || f.Settings != key {
		t.Fatalf("UpdateSettings with a callback URL: %+v %v", f.Settings, err)
	}

	s.Close()
	s2 := s.reopen(t)
	got, err := s2.Get(ctx, "acme", d.ID)
	if err != nil || got.Settings != key {
		t.Fatalf("after reopen: %+v %v", got.Settings, err)
	}
}

func testRoutingChainOrder(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	create := func(tenant, name string, p functions.RoutingPriority, order int) functions.Deployed {
		t.Helper()
		d, err := s.Create(ctx, tenant, name, functions.Settings{Auth: functions.AuthPublic, RoutingPriority: p, RoutingOrder: order}, sampleVersion(name))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	create("acme", "late", functions.RoutingRunFirst, 20)
	create("acme", "early", functions.RoutingRunFirst, 10)
	create("acme", "tail", functions.RoutingRunLast, 0)
	create("acme", "assigned-only", functions.RoutingDisabled, 0)
	create("other", "foreign", functions.RoutingRunFirst, 0)
	moved := create("acme", "moved", functions.RoutingDisabled, 0)
	if _, err := s.UpdateSettings(ctx, "acme", moved.ID, functions.Settings{Auth: functions.AuthPublic, RoutingPriority: functions.RoutingRunLast, RoutingOrder: -1}); err != nil {
		t.Fatal(err)
	}
	first, last, err := s.RoutingChain(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	names := func(list []functions.Deployed) (out []string) {
		for _, d := range list {
			if d.Version.Code == "" {
				t.Fatalf("%s came without its live code", d.Name)
			}
			out = append(out, d.Name)
		}
		return out
	}
	if got := fmt.Sprint(names(first), names(last)); got != "[early late] [moved tail]" {
		t.Fatalf("chain: %s", got)
	}
}

// A function's contract (input and output schemas) is kept durably, read
// back by every path (Get, ByUUID, the update's answer), and kept across
// a rollback; settings without one read back empty.
func testContractSettings(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	set := functions.Settings{Auth: functions.AuthPublic,
		InputSchema:  `{"type":"object","required":["a"]}`,
		OutputSchema: `{"type":"string"}`}
	d, err := s.Create(ctx, "acme", "typed", set, sampleVersion("x"))
	if err != nil || d.Settings != set {
		t.Fatalf("created: %+v %v", d.Settings, err)
	}
	if byUUID, err := s.ByUUID(ctx, d.UUID); err != nil || byUUID.Settings != set {
		t.Fatalf("ByUUID: %+v %v", byUUID.Settings, err)
	}
	inputOnly := functions.Settings{Auth: functions.AuthPublic, InputSchema: set.InputSchema}
	if f, err := s.UpdateSettings(ctx, "acme", d.ID, inputOnly); err != nil || f.Settings != inputOnly {
		t.Fatalf("UpdateSettings: %+v %v", f.Settings, err)
	}
	if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("y")); err != nil {
		t.Fatal(err)
	}
	if rolled, err := s.Rollback(ctx, "acme", d.ID, 1); err != nil || rolled.Settings != inputOnly {
		t.Fatalf("after rollback: %+v %v", rolled.Settings, err)
	}
	if plain := mustCreate(t, s, "acme", "plain"); plain.InputSchema != "" || plain.OutputSchema != "" {
		t.Fatalf("default settings: %+v", plain.Settings)
	}
	s.Close()
	s2 := s.reopen(t)
	if got, err := s2.Get(ctx, "acme", d.ID); err != nil || got.Settings != inputOnly {
		t.Fatalf("after reopen: %+v %v", got.Settings, err)
	}
}

// A schedule is a setting: kept durably, read back by every path, kept
// across a rollback, cleared by an empty one.
func testScheduleSetting(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	set := functions.Settings{Auth: functions.AuthPublic, Schedule: `{"cron":"*/5 * * * *","tz":"Europe/Paris","overlap":"skip"}`}
	d, err := s.Create(ctx, "acme", "cron", set, sampleVersion("x"))
	if err != nil || d.Settings != set {
		t.Fatalf("created: %+v %v", d.Settings, err)
	}
	if byUUID, err := s.ByUUID(ctx, d.UUID); err != nil || byUUID.Settings != set {
		t.Fatalf("ByUUID: %+v %v", byUUID.Settings, err)
	}
	if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("y")); err != nil {
		t.Fatal(err)
	}
	if rolled, err := s.Rollback(ctx, "acme", d.ID, 1); err != nil || rolled.Settings != set {
		t.Fatalf("after rollback: %+v %v", rolled.Settings, err)
	}
	s.Close()
	s2 := s.reopen(t)
	if got, err := s2.Get(ctx, "acme", d.ID); err != nil || got.Settings != set {
		t.Fatalf("after reopen: %+v %v", got.Settings, err)
	}
	cleared := functions.Settings{Auth: functions.AuthPublic}
	if f, err := s2.UpdateSettings(ctx, "acme", d.ID, cleared); err != nil || f.Schedule != "" {
		t.Fatalf("cleared: %+v %v", f.Settings, err)
	}
}
