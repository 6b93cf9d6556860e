package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/schedule"
)

// The scheduler's view: scheduled functions of every tenant, when each
// schedule was set (a new schedule only: the same one again keeps its
// time), the latest slot of any state; a slot has one record, and a
// function's delete takes its records.
func testScheduleFires(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })
	every5 := functions.Schedule(`{"cron":"*/5 * * * *","tz":"UTC","overlap":"skip"}`)
	d, err := s.Create(ctx, "acme", "tick", functions.Settings{Auth: functions.AuthPublic, Schedule: every5}, sampleVersion("x"))
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, "acme", "plain")
	if _, err := s.Create(ctx, "other", "tock", functions.Settings{Auth: functions.AuthPublic, Schedule: every5}, sampleVersion("x")); err != nil {
		t.Fatal(err)
	}
	list := func() map[string]schedule.Scheduled {
		t.Helper()
		l, err := s.ScheduledFunctions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]schedule.Scheduled{}
		for _, sc := range l {
			out[sc.Tenant] = sc
		}
		return out
	}
	got := list()
	if len(got) != 2 || got["acme"].FunctionID != d.ID || got["acme"].Schedule != string(every5) || !got["acme"].Since.Equal(now) || !got["acme"].LastSlot.IsZero() {
		t.Fatalf("scheduled %+v", got)
	}

	slot := now.Add(5 * time.Minute)
	for i, want := range []bool{true, false} {
		ok, err := s.ClaimFire(ctx, schedule.Fire{Tenant: "acme", FunctionID: d.ID, Slot: slot, RequestID: "r1", At: slot})
		if err != nil || ok != want {
			t.Fatalf("claim %d: %v %v", i, ok, err)
		}
	}
	// A skip does not overwrite the claim; a finish records the outcome.
	if err := s.SkipFires(ctx, []schedule.Fire{{Tenant: "acme", FunctionID: d.ID, Slot: slot, Reason: schedule.ReasonMissed, At: slot},
		{Tenant: "acme", FunctionID: d.ID, Slot: now.Add(10 * time.Minute), Reason: schedule.ReasonOverlap, At: slot}}); err != nil {
		t.Fatal(err)
	}
	if err := s.FinishFire(ctx, schedule.Fire{FunctionID: d.ID, Slot: slot, State: schedule.FireSucceeded, Status: 200, At: slot}); err != nil {
		t.Fatal(err)
	}
	fires, err := s.Fires(ctx, "acme", d.ID, 10)
	if err != nil || len(fires) != 2 || fires[1].State != schedule.FireSucceeded || fires[1].RequestID != "r1" || fires[0].State != schedule.FireSkipped || fires[0].Reason != schedule.ReasonOverlap {
		t.Fatalf("fires %+v %v", fires, err)
	}
	if last, ok, err := s.LastFire(ctx, "acme", d.ID); err != nil || !ok || !last.Slot.Equal(now.Add(10*time.Minute)) {
		t.Fatalf("last fire %+v %v %v", last, ok, err)
	}
	if _, ok, err := s.LastFire(ctx, "other", d.ID); err != nil || ok {
		t.Fatalf("another tenant saw the fires: %v %v", ok, err)
	}
	if got := list()["acme"]; !got.LastSlot.Equal(now.Add(10 * time.Minute)) {
		t.Fatalf("last slot %s", got.LastSlot)
	}

	// The same schedule again keeps its time; a new one moves it.
	now = now.Add(time.Hour)
	if _, err := s.UpdateSettings(ctx, "acme", d.ID, functions.Settings{Auth: functions.AuthAPIKey, Schedule: every5}); err != nil {
		t.Fatal(err)
	}
	if got := list()["acme"]; !got.Since.Equal(now.Add(-time.Hour)) {
		t.Fatalf("since moved with an unchanged schedule: %s", got.Since)
	}
	hourly := functions.Schedule(`{"cron":"@hourly","tz":"UTC","overlap":"skip"}`)
	if _, err := s.UpdateSettings(ctx, "acme", d.ID, functions.Settings{Auth: functions.AuthAPIKey, Schedule: hourly}); err != nil {
		t.Fatal(err)
	}
	if got := list()["acme"]; !got.Since.Equal(now) || got.Schedule != string(hourly) {
		t.Fatalf("after a new schedule: %+v", got)
	}
	if err := s.Delete(ctx, "acme", d.ID); err != nil {
		t.Fatal(err)
	}
	if fires, err := s.Fires(ctx, "acme", d.ID, 10); err != nil || len(fires) != 0 {
		t.Fatalf("fires after delete: %+v %v", fires, err)
	}
}
