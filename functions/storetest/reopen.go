package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
)

func testDurableAcrossReopen(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	nv := sampleVersion("v1")
	nv.Env = []functions.EnvVar{{Name: "TOKEN", Value: "abc", Flag: functions.EnvPrivate}}
	d, err := s.Create(ctx, "acme", "durable", functions.Settings{}, nv)
	if err != nil {
		t.Fatal(err)
	}
	d2, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("v2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Rollback(ctx, "acme", d.ID, 1); err != nil {
		t.Fatal(err)
	}
	run := functions.Run{Trigger: functions.TriggerVoice, RequestID: "r", FunctionID: d.ID, Tenant: "acme", Version: 1, Export: "main", Status: 200,
		Logs: []functions.LogLine{}, StartedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.SaveRuns(ctx, []functions.Run{run}); err != nil {
		t.Fatal(err)
	}
	key := auth.Key{ID: "k", Tenant: "acme", Name: "n", Hash: "h", Scopes: []string{auth.ScopeAdmin},
		CreatedAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	if err := s.CreateKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	want, err := s.Get(ctx, "acme", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantVersions, err := s.Versions(ctx, "acme", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2 := s.reopen(t)
	if err := s2.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	got, err := s2.ByUUID(ctx, d.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) || got.LiveVersion != 1 || got.LatestVersion != d2.Version.Number {
		t.Errorf("after reopen = %+v\nwant %+v", got, want)
	}
	if vs, err := s2.Versions(ctx, "acme", d.ID); err != nil || !reflect.DeepEqual(vs, wantVersions) {
		t.Errorf("versions after reopen = %+v, %v\nwant %+v", vs, err, wantVersions)
	}
	if r, err := s2.RunByID(ctx, "acme", "r"); err != nil || !reflect.DeepEqual(r, run) {
		t.Errorf("run after reopen = %+v, %v; want %+v", r, err, run)
	}
	if k, err := s2.KeyByHash(ctx, "h"); err != nil || !reflect.DeepEqual(k, key) {
		t.Errorf("key after reopen = %+v, %v; want %+v", k, err, key)
	}
	// The name is still taken: constraints survived too.
	if _, err := s2.Create(ctx, "acme", "durable", functions.Settings{}, sampleVersion("x")); !errors.Is(err, functions.ErrNameTaken) {
		t.Errorf("Create duplicate after reopen: err = %v, want ErrNameTaken", err)
	}
}
