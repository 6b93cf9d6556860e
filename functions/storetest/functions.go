package storetest

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/scriptforge/scriptforge/functions"
)

func testCreateAndGet(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	nv := sampleVersion("module.exports.main = d => d")
	nv.Type = functions.TypeApp

	d, err := s.Create(ctx, "acme", "router", functions.Settings{}, nv)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ID) < 4 || d.ID[:3] != "fn_" {
		t.Errorf("ID = %q, want fn_ prefix", d.ID)
	}
	if u, err := uuid.Parse(d.UUID); err != nil || u.Version() != 4 {
		t.Errorf("UUID = %q (%v), want a v4 UUID", d.UUID, err)
	}
	if d.LiveVersion != 1 || d.LatestVersion != 1 || d.Version.Number != 1 {
		t.Errorf("versions live=%d latest=%d version=%d, want 1/1/1", d.LiveVersion, d.LatestVersion, d.Version.Number)
	}
	if d.CreatedAt.IsZero() || !d.CreatedAt.Equal(d.UpdatedAt) || d.CreatedAt.Location().String() != "UTC" {
		t.Errorf("CreatedAt=%v UpdatedAt=%v, want equal, non-zero, UTC", d.CreatedAt, d.UpdatedAt)
	}
	want := functions.Version{
		FunctionID: d.ID, Number: 1, Type: functions.TypeApp, Source: nv.Source, Code: nv.Code, Hash: nv.Hash,
		Env: []functions.EnvVar{}, TimeoutMS: 1000, MemoryMB: 64, CreatedAt: d.CreatedAt,
	}
	if !reflect.DeepEqual(d.Version, want) {
		t.Errorf("Create version = %+v, want %+v", d.Version, want)
	}

	// Every read path returns exactly what Create returned.
	reads := []struct {
		name string
		get  func() (functions.Deployed, error)
	}{
		{"Get", func() (functions.Deployed, error) { return s.Get(ctx, "acme", d.ID) }},
		{"GetByName", func() (functions.Deployed, error) { return s.GetByName(ctx, "acme", "router") }},
		{"ByUUID", func() (functions.Deployed, error) { return s.ByUUID(ctx, d.UUID) }},
	}
	for _, r := range reads {
		got, err := r.get()
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if !reflect.DeepEqual(got, d) {
			t.Errorf("%s = %+v\nwant %+v", r.name, got, d)
		}
	}

	missing := []struct {
		name string
		err  error
	}{
		{"Get unknown id", func() error { _, err := s.Get(ctx, "acme", "fn_nope"); return err }()},
		{"GetByName unknown", func() error { _, err := s.GetByName(ctx, "acme", "nope"); return err }()},
		{"ByUUID unknown", func() error { _, err := s.ByUUID(ctx, uuid.NewString()); return err }()},
		{"Versions unknown", func() error { _, err := s.Versions(ctx, "acme", "fn_nope"); return err }()},
	}
	for _, m := range missing {
		if !errors.Is(m.err, functions.ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", m.name, m.err)
		}
	}
}

func testNameTaken(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	mustCreate(t, s, "acme", "router")

	tests := []struct {
		tenant, name string
		wantErr      error
	}{
		{"acme", "router", functions.ErrNameTaken},
		{"other", "router", nil}, // names are unique per tenant only
		{"acme", "Router", nil},  // and compared exactly
	}
	for _, tt := range tests {
		_, err := s.Create(ctx, tt.tenant, tt.name, functions.Settings{}, sampleVersion("x"))
		if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
			t.Errorf("Create(%s, %s) err = %v, want %v", tt.tenant, tt.name, err, tt.wantErr)
		}
	}
	// The failed create left nothing behind.
	if n := count(t, s, `SELECT count(*) FROM functions WHERE tenant = 'acme' AND name = 'router'`); n != 1 {
		t.Errorf("functions named router in acme = %d, want 1", n)
	}
	if n := count(t, s, `SELECT count(*) FROM versions`); n != 3 {
		t.Errorf("versions = %d, want 3", n)
	}
}

func testConcurrentCreateSameName(t *testing.T, open Open) {
	s := openTest(t, open)
	const n = 12
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Create(context.Background(), "acme", "same", functions.Settings{}, sampleVersion("x"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, functions.ErrNameTaken):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Errorf("%d creates succeeded, want exactly 1", ok)
	}
}

func testDeployAndRollback(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	d1 := mustCreate(t, s, "acme", "router")

	d2, err := s.Deploy(ctx, "acme", d1.ID, sampleVersion("v2"))
	if err != nil {
		t.Fatal(err)
	}
	d3, err := s.Deploy(ctx, "acme", d1.ID, sampleVersion("v3"))
	if err != nil {
		t.Fatal(err)
	}
	if d2.Version.Number != 2 || d3.Version.Number != 3 || d3.LiveVersion != 3 || d3.LatestVersion != 3 {
		t.Fatalf("deploys gave versions %d, %d (live %d, latest %d), want 2, 3 (3, 3)",
			d2.Version.Number, d3.Version.Number, d3.LiveVersion, d3.LatestVersion)
	}
	if d3.UUID != d1.UUID || !d3.CreatedAt.Equal(d1.CreatedAt) || !d3.UpdatedAt.After(d1.UpdatedAt) {
		t.Errorf("deploy changed identity or did not bump updated_at: %+v vs %+v", d3.Function, d1.Function)
	}
	if got, _ := s.ByUUID(ctx, d1.UUID); got.Version.Source != "v3" {
		t.Errorf("ByUUID serves %q, want v3", got.Version.Source)
	}

	vs, err := s.Versions(ctx, "acme", d1.ID)
	if err != nil {
		t.Fatal(err)
	}
	var nums []int
	for _, v := range vs {
		nums = append(nums, v.Number)
	}
	if !reflect.DeepEqual(nums, []int{3, 2, 1}) {
		t.Errorf("Versions order = %v, want [3 2 1]", nums)
	}
	if !reflect.DeepEqual(vs[2], d1.Version) {
		t.Errorf("version 1 changed after deploys: %+v, want %+v", vs[2], d1.Version)
	}

	tests := []struct {
		name     string
		version  int
		wantErr  error
		wantLive int
	}{
		{"to oldest", 1, nil, 1},
		{"forward again", 3, nil, 3},
		{"to middle", 2, nil, 2},
		{"unknown version", 7, functions.ErrNoSuchVersion, 2},
		{"version zero", 0, functions.ErrNoSuchVersion, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Rollback(ctx, "acme", d1.ID, tt.version)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Fatalf("Rollback(%d) err = %v, want %v", tt.version, err, tt.wantErr)
			}
			if err == nil && (got.LiveVersion != tt.version || got.Version.Number != tt.version || got.LatestVersion != 3) {
				t.Errorf("Rollback(%d) returned live %d version %d latest %d", tt.version, got.LiveVersion, got.Version.Number, got.LatestVersion)
			}
			cur, err := s.Get(ctx, "acme", d1.ID)
			if err != nil {
				t.Fatal(err)
			}
			if cur.LiveVersion != tt.wantLive || cur.Version.Source != map[int]string{1: "v1 of router", 2: "v2", 3: "v3"}[tt.wantLive] {
				t.Errorf("after Rollback(%d) live = %d (%q), want %d", tt.version, cur.LiveVersion, cur.Version.Source, tt.wantLive)
			}
		})
	}

	// Deploy after a rollback appends after the latest, not after live.
	d4, err := s.Deploy(ctx, "acme", d1.ID, sampleVersion("v4"))
	if err != nil {
		t.Fatal(err)
	}
	if d4.Version.Number != 4 || d4.LiveVersion != 4 {
		t.Errorf("deploy after rollback = version %d live %d, want 4/4", d4.Version.Number, d4.LiveVersion)
	}
}

func testConcurrentDeploys(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	d := mustCreate(t, s, "acme", "busy")
	const n = 24
	got := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dep, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("concurrent"))
			if err != nil {
				t.Errorf("Deploy: %v", err)
				return
			}
			if dep.LiveVersion != dep.Version.Number {
				t.Errorf("Deploy returned live %d but version %d", dep.LiveVersion, dep.Version.Number)
			}
			got <- dep.Version.Number
		}()
	}
	wg.Wait()
	close(got)
	var nums []int
	for v := range got {
		nums = append(nums, v)
	}
	sort.Ints(nums)
	for i, v := range nums {
		if v != i+2 {
			t.Fatalf("version numbers = %v, want 2..%d each once", nums, n+1)
		}
	}
	cur, err := s.Get(ctx, "acme", d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cur.LatestVersion != n+1 || cur.LiveVersion != n+1 {
		t.Errorf("after concurrent deploys latest=%d live=%d, want %d", cur.LatestVersion, cur.LiveVersion, n+1)
	}
	if c := count(t, s, `SELECT count(*) FROM versions WHERE function_id = ?`, d.ID); c != n+1 {
		t.Errorf("stored versions = %d, want %d", c, n+1)
	}
}

func testRotateUUID(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	a := mustCreate(t, s, "acme", "a")
	b := mustCreate(t, s, "acme", "b")

	fresh := uuid.NewString()
	f, err := s.RotateUUID(ctx, "acme", a.ID, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if f.UUID != fresh || f.ID != a.ID || !f.UpdatedAt.After(a.UpdatedAt) {
		t.Errorf("RotateUUID = %+v, want uuid %s and a later updated_at", f, fresh)
	}
	if _, err := s.ByUUID(ctx, a.UUID); !errors.Is(err, functions.ErrNotFound) {
		t.Errorf("old UUID still resolves: err = %v", err)
	}
	if got, err := s.ByUUID(ctx, fresh); err != nil || got.ID != a.ID {
		t.Errorf("ByUUID(new) = %s, %v; want %s", got.ID, err, a.ID)
	}

	tests := []struct {
		name, tenant, id, uuid string
		wantNotFound, wantUniq bool
	}{
		{name: "unknown id", tenant: "acme", id: "fn_nope", uuid: uuid.NewString(), wantNotFound: true},
		{name: "empty uuid", tenant: "acme", id: a.ID, uuid: ""},
		{name: "uuid of another function", tenant: "acme", id: a.ID, uuid: b.UUID, wantUniq: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.RotateUUID(ctx, tt.tenant, tt.id, tt.uuid)
			if err == nil {
				t.Fatal("RotateUUID succeeded, want an error")
			}
			if errors.Is(err, functions.ErrNotFound) != tt.wantNotFound {
				t.Errorf("err = %v, ErrNotFound wanted: %v", err, tt.wantNotFound)
			}
			if s.b.IsUniqueViolation(err) != tt.wantUniq {
				t.Errorf("err = %v, unique violation wanted: %v", err, tt.wantUniq)
			}
		})
	}
	if got, _ := s.Get(ctx, "acme", a.ID); got.UUID != fresh {
		t.Errorf("failed rotations changed the uuid to %q", got.UUID)
	}
}

func testDelete(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	gone := mustCreate(t, s, "acme", "gone")
	kept := mustCreate(t, s, "acme", "kept")
	if _, err := s.Deploy(ctx, "acme", gone.ID, sampleVersion("v2")); err != nil {
		t.Fatal(err)
	}
	now := s.now()
	if err := s.SaveRuns(ctx, []functions.Run{
		{RequestID: "r1", FunctionID: gone.ID, Tenant: "acme", Version: 1, Export: "main", Status: 200, StartedAt: now},
		{RequestID: "r2", FunctionID: kept.ID, Tenant: "acme", Version: 1, Export: "main", Status: 200, StartedAt: now},
	}); err != nil {
		t.Fatal(err)
	}

	if err := s.Delete(ctx, "acme", gone.ID); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what  string
		query string
		want  int
	}{
		{"deleted function rows", `SELECT count(*) FROM functions WHERE id = '` + gone.ID + `'`, 0},
		{"deleted function versions", `SELECT count(*) FROM versions WHERE function_id = '` + gone.ID + `'`, 0},
		{"deleted function runs", `SELECT count(*) FROM runs WHERE function_id = '` + gone.ID + `'`, 0},
		{"other function versions", `SELECT count(*) FROM versions WHERE function_id = '` + kept.ID + `'`, 1},
		{"other function runs", `SELECT count(*) FROM runs WHERE function_id = '` + kept.ID + `'`, 1},
	}
	for _, c := range checks {
		if n := count(t, s, c.query); n != c.want {
			t.Errorf("%s = %d, want %d", c.what, n, c.want)
		}
	}
	if _, err := s.Get(ctx, "acme", gone.ID); !errors.Is(err, functions.ErrNotFound) {
		t.Errorf("Get after Delete: err = %v, want ErrNotFound", err)
	}
	if _, err := s.ByUUID(ctx, gone.UUID); !errors.Is(err, functions.ErrNotFound) {
		t.Errorf("ByUUID after Delete: err = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "acme", gone.ID); !errors.Is(err, functions.ErrNotFound) {
		t.Errorf("second Delete: err = %v, want ErrNotFound", err)
	}
	// The name is free again.
	if _, err := s.Create(ctx, "acme", "gone", functions.Settings{}, sampleVersion("again")); err != nil {
		t.Errorf("re-create after delete: %v", err)
	}
}

func testTenantIsolation(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	a := mustCreate(t, s, "tenant-a", "secret")
	if _, err := s.Deploy(ctx, "tenant-a", a.ID, sampleVersion("v2")); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveRuns(ctx, []functions.Run{{RequestID: "req-a", FunctionID: a.ID, Tenant: "tenant-a", Status: 200, StartedAt: s.now()}}); err != nil {
		t.Fatal(err)
	}

	ops := []struct {
		name string
		call func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, "tenant-b", a.ID); return err }},
		{"GetByName", func() error { _, err := s.GetByName(ctx, "tenant-b", "secret"); return err }},
		{"Versions", func() error { _, err := s.Versions(ctx, "tenant-b", a.ID); return err }},
		{"Deploy", func() error { _, err := s.Deploy(ctx, "tenant-b", a.ID, sampleVersion("evil")); return err }},
		{"Rollback", func() error { _, err := s.Rollback(ctx, "tenant-b", a.ID, 1); return err }},
		{"RotateUUID", func() error { _, err := s.RotateUUID(ctx, "tenant-b", a.ID, uuid.NewString()); return err }},
		{"Delete", func() error { return s.Delete(ctx, "tenant-b", a.ID) }},
		{"Runs", func() error { _, err := s.Runs(ctx, "tenant-b", functions.RunQuery{FunctionID: a.ID}); return err }},
		{"RunByID", func() error { _, err := s.RunByID(ctx, "tenant-b", "req-a"); return err }},
	}
	for _, op := range ops {
		if err := op.call(); !errors.Is(err, functions.ErrNotFound) {
			t.Errorf("tenant-b %s on tenant-a's function: err = %v, want ErrNotFound", op.name, err)
		}
	}
	if l, err := s.List(ctx, "tenant-b"); err != nil || len(l) != 0 {
		t.Errorf("List(tenant-b) = %v, %v; want empty", l, err)
	}

	// Nothing tenant-b tried had any effect, and the UUID still works.
	got, err := s.ByUUID(ctx, a.UUID)
	if err != nil {
		t.Fatalf("ByUUID after tenant-b attempts: %v", err)
	}
	if got.Tenant != "tenant-a" || got.LiveVersion != 2 || got.LatestVersion != 2 || got.Version.Source != "v2" {
		t.Errorf("tenant-a's function changed: %+v", got)
	}
	if n := count(t, s, `SELECT count(*) FROM runs WHERE request_id = 'req-a'`); n != 1 {
		t.Errorf("tenant-a's run count = %d, want 1", n)
	}
}

func testList(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	if l, err := s.List(ctx, "acme"); err != nil || l == nil || len(l) != 0 {
		t.Fatalf("List on empty store = %#v, %v; want empty non-nil", l, err)
	}
	// Created in this order, with increasing times: list keeps creation order,
	// not name order.
	var want []string
	for _, name := range []string{"zeta", "alpha", "mid"} {
		want = append(want, mustCreate(t, s, "acme", name).ID)
	}
	mustCreate(t, s, "other", "alpha")

	// Same creation time: the id decides.
	s.SetClock(func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) })
	var tied []string
	for _, name := range []string{"t1", "t2", "t3"} {
		tied = append(tied, mustCreate(t, s, "acme", name).ID)
	}
	sort.Strings(tied)
	want = append(want, tied...)

	l, err := s.List(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range l {
		got = append(got, f.ID)
		if f.Tenant != "acme" {
			t.Errorf("List(acme) returned %s of tenant %s", f.ID, f.Tenant)
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("List order = %v, want %v", got, want)
	}
}

// List carries each function's live version, so callers need no query per function.
func testListShowsLiveVersion(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	d := mustCreate(t, s, "acme", "f")
	if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion("v2")); err != nil {
		t.Fatal(err)
	}
	l, err := s.List(ctx, "acme")
	if err != nil || len(l) != 1 {
		t.Fatalf("List: %v %v", l, err)
	}
	if l[0].LiveVersion != 2 || l[0].Version.Number != 2 || l[0].Version.Source != "v2" {
		t.Fatalf("List shows %+v, want live version 2", l[0])
	}
}
