package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/voice"
)

func testCallState(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC)
	s.SetClock(func() time.Time { return now })

	if st, err := s.CallState(ctx, "acme", "CA1"); err != nil || st.Version != 0 || st.Data != nil {
		t.Fatalf("none: %+v %v", st, err)
	}
	v1, err := s.SaveCallState(ctx, "acme", "CA1", json.RawMessage(`{"step":"menu"}`), 0, time.Hour)
	if err != nil || v1 != 1 {
		t.Fatalf("first write: %d %v", v1, err)
	}
	// A writer that read before the first write loses, and says so.
	if _, err := s.SaveCallState(ctx, "acme", "CA1", json.RawMessage(`{"step":"other"}`), 0, time.Hour); !errors.Is(err, voice.ErrStateConflict) {
		t.Fatalf("stale write: %v", err)
	}
	v2, err := s.SaveCallState(ctx, "acme", "CA1", json.RawMessage(`{"step":"dial"}`), v1, time.Hour)
	if err != nil || v2 != 2 {
		t.Fatalf("second write: %d %v", v2, err)
	}
	// Tenants are apart.
	if st, _ := s.CallState(ctx, "globex", "CA1"); st.Version != 0 {
		t.Fatal("another tenant read the state")
	}
	if err := s.DeleteCallState(ctx, "globex", "CA1"); err != nil {
		t.Fatal(err)
	}
	// Durable: a reopened store has it.
	s.Close()
	s2 := s.reopen(t)
	s2.SetClock(func() time.Time { return now })
	if st, err := s2.CallState(ctx, "acme", "CA1"); err != nil || st.Version != 2 || string(st.Data) != `{"step":"dial"}` {
		t.Fatalf("after reopen: %+v %v", st, err)
	}
	// Expired: reads as none, a fresh write starts from version 0 again, and prune removes old rows.
	now = now.Add(2 * time.Hour)
	if st, _ := s2.CallState(ctx, "acme", "CA1"); st.Version != 0 {
		t.Fatalf("expired state read: %+v", st)
	}
	if _, err := s2.SaveCallState(ctx, "acme", "CA2", json.RawMessage(`{}`), 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if n, err := s2.PruneCallState(ctx); err != nil || n != 1 {
		t.Fatalf("prune: %d %v", n, err)
	}
	if v, err := s2.SaveCallState(ctx, "acme", "CA1", json.RawMessage(`{"again":true}`), 0, time.Hour); err != nil || v != 1 {
		t.Fatalf("write after expiry: %d %v", v, err)
	}
	if err := s2.DeleteCallState(ctx, "acme", "CA1"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s2.CallState(ctx, "acme", "CA1"); st.Version != 0 {
		t.Fatal("deleted state read")
	}
}

// A function's voice settings round-trip with the secret, which only the
// store sees (the model never encodes it).
func testVoiceSettings(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	set := functions.Settings{Auth: functions.AuthPublic, Voice: functions.VoiceSettings{StateTTLS: 600, SigningScheme: "twilio", SigningSecret: "tok", SecretSet: true}}
	d, err := s.Create(ctx, "acme", "ivr", set, sampleVersion("x"))
	if err != nil || d.Settings != set {
		t.Fatalf("create: %+v %v", d.Settings, err)
	}
	if got, err := s.ByUUID(ctx, d.UUID); err != nil || got.Voice != set.Voice {
		t.Fatalf("ByUUID: %+v %v", got.Voice, err)
	}
	none := functions.Settings{Auth: functions.AuthPublic}
	if f, err := s.UpdateSettings(ctx, "acme", d.ID, none); err != nil || f.Voice != (functions.VoiceSettings{}) {
		t.Fatalf("cleared: %+v %v", f.Voice, err)
	}
	if b, _ := json.Marshal(d.Settings); strings.Contains(string(b), "tok") {
		t.Fatalf("the model encodes the secret: %s", b)
	}
}

// Writes from many goroutines go through shared commits; each keeps its
// own outcome: distinct calls all land, and of the writers racing on one
// version exactly one wins.
func testCallStateGroupCommit(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	var wg sync.WaitGroup
	var wins atomic.Int64
	for i := range 64 {
		wg.Go(func() {
			id := fmt.Sprintf("CA%d", i)
			if v, err := s.SaveCallState(ctx, "acme", id, json.RawMessage(fmt.Sprintf(`{"i":%d}`, i)), 0, time.Hour); err != nil || v != 1 {
				t.Errorf("%s: %d %v", id, v, err)
			}
			_, err := s.SaveCallState(ctx, "acme", "shared", json.RawMessage(fmt.Sprintf(`{"by":%d}`, i)), 0, time.Hour)
			switch {
			case err == nil:
				wins.Add(1)
			case !errors.Is(err, voice.ErrStateConflict):
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d writers won the same version", wins.Load())
	}
	for i := range 64 {
		st, err := s.CallState(ctx, "acme", fmt.Sprintf("CA%d", i))
		if err != nil || string(st.Data) != fmt.Sprintf(`{"i":%d}`, i) {
			t.Fatalf("CA%d: %s %v", i, st.Data, err)
		}
	}
}
