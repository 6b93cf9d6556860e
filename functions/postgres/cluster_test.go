package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/postgres/pgtest"
	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/functions/storetest"
	"github.com/scriptforge/scriptforge/functions/voice"
)

// gateways opens n stores on one fresh schema, as n gateways would.
func gateways(t *testing.T, n int) []*Store {
	t.Helper()
	url := pgtest.URL(t)
	out := make([]*Store, n)
	for i := range out {
		out[i] = openAt(t, url)
	}
	return out
}

// Gateways starting together on an empty database all bootstrap: one
// admin key is made and shown once, and none of them fails.
func TestBootstrapTogether(t *testing.T) {
	gws := gateways(t, 3)
	var wg sync.WaitGroup
	secrets := make([]string, len(gws))
	errs := make([]error, len(gws))
	for i, s := range gws {
		wg.Go(func() { secrets[i], errs[i] = auth.Bootstrap(context.Background(), s, "") })
	}
	wg.Wait()
	shown := 0
	for i := range gws {
		if errs[i] != nil {
			t.Fatalf("gateway %d: %v", i, errs[i])
		}
		if secrets[i] != "" {
			shown++
			if _, err := gws[0].KeyByHash(context.Background(), auth.HashKey(secrets[i])); err != nil {
				t.Fatalf("the key shown by gateway %d is not stored: %v", i, err)
			}
		}
	}
	if n, _ := gws[0].CountKeys(context.Background(), auth.DefaultTenant); shown != 1 || n != 1 {
		t.Fatalf("%d secrets shown, %d keys stored; want 1 and 1", shown, n)
	}
}

// What one gateway writes, another reads at once; and writes racing from
// several gateways keep the guarantees one gateway gives: no lost
// increment, one winner per call-state version, one claim per slot,
// consecutive version numbers.
func TestGatewaysShareOneStore(t *testing.T) {
	ctx := context.Background()
	gws := gateways(t, 2)
	d, err := gws[0].Create(ctx, "acme", "f", functions.Settings{}, sampleVersion("v1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := gws[1].ByUUID(ctx, d.UUID); err != nil || got.ID != d.ID {
		t.Fatalf("the other gateway reads %+v, %v", got, err)
	}

	const per = 20
	var wg sync.WaitGroup
	var stateWins, claims atomic.Int32
	slot := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for g, s := range gws {
		for i := range per {
			wg.Go(func() {
				if _, err := s.KVIncr(ctx, "acme", "hits", 1, 0, functions.KVQuota{}); err != nil {
					t.Error(err)
				}
				if _, err := s.SaveCallState(ctx, "acme", "CA1", json.RawMessage(fmt.Sprintf(`{"g":%d,"i":%d}`, g, i)), 0, time.Hour); err == nil {
					stateWins.Add(1)
				} else if err != voice.ErrStateConflict {
					t.Error(err)
				}
				ok, err := s.ClaimFire(ctx, schedule.Fire{Tenant: "acme", FunctionID: d.ID, Slot: slot, RequestID: fmt.Sprint(g, i), At: slot})
				if err != nil {
					t.Error(err)
				}
				if ok {
					claims.Add(1)
				}
				if _, err := s.Deploy(ctx, "acme", d.ID, sampleVersion(fmt.Sprint(g, i))); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	if v, ok, err := gws[1].KVGet(ctx, "acme", "hits"); err != nil || !ok || string(v) != fmt.Sprint(2*per) {
		t.Errorf("hits = %s (%v, %v), want %d", v, ok, err, 2*per)
	}
	if stateWins.Load() != 1 || claims.Load() != 1 {
		t.Errorf("%d call-state writers won version 1, %d gateways claimed one slot; want 1 and 1", stateWins.Load(), claims.Load())
	}
	vs, err := gws[0].Versions(ctx, "acme", d.ID)
	if err != nil || len(vs) != 2*per+1 {
		t.Fatalf("%d versions, %v; want %d", len(vs), err, 2*per+1)
	}
	for i, v := range vs {
		if v.Number != len(vs)-i {
			t.Fatalf("versions are not consecutive: %d at %d", v.Number, i)
		}
	}
}

var sampleVersion = storetest.SampleVersion
