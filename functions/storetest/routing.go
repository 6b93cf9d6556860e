package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/routing"
)

func testRoutingAssignments(t *testing.T, open Open) {
	s := openTest(t, open)
	ctx := context.Background()
	fn := mustCreate(t, s, "acme", "lcr")
	foreign := mustCreate(t, s, "other", "theirs")
	action, _ := routing.ParseTimeoutAction("480 Temporarily Unavailable")
	a := routing.Assignment{Tenant: "acme", Kind: routing.KindCustomer, Key: "carrier-7", FunctionID: fn.ID, TimeoutMS: 800, TimeoutAction: action}
	put, err := s.PutAssignment(ctx, a)
	if err != nil || put.TimeoutAction != action || put.TimeoutMS != 800 || put.CreatedAt.IsZero() {
		t.Fatalf("put: %+v %v", put, err)
	}
	// Replacing keeps created_at and changes the rest.
	a.TimeoutMS, a.TimeoutAction = 300, routing.TimeoutAction{Code: 503, Reason: "Service Unavailable"}
	again, err := s.PutAssignment(ctx, a)
	if err != nil || again.TimeoutMS != 300 || again.TimeoutAction.Code != 503 || !again.CreatedAt.Equal(put.CreatedAt) {
		t.Fatalf("replace: %+v %v", again, err)
	}
	// A tenant cannot assign another tenant's function, nor see or delete its assignments.
	if _, err := s.PutAssignment(ctx, routing.Assignment{Tenant: "acme", Kind: routing.KindDID, Key: "15550001", FunctionID: foreign.ID, TimeoutMS: 1, TimeoutAction: action}); !errors.Is(err, functions.ErrNotFound) {
		t.Fatalf("assigned a foreign function: %v", err)
	}
	if _, err := s.GetAssignment(ctx, "other", routing.KindCustomer, "carrier-7"); !errors.Is(err, routing.ErrNoAssignment) {
		t.Fatalf("other tenant read it: %v", err)
	}
	if err := s.DeleteAssignment(ctx, "other", routing.KindCustomer, "carrier-7"); !errors.Is(err, routing.ErrNoAssignment) {
		t.Fatalf("other tenant deleted it: %v", err)
	}
	if list, err := s.ListAssignments(ctx, "other", routing.KindCustomer); err != nil || len(list) != 0 {
		t.Fatalf("other tenant's list: %v %v", list, err)
	}
	// The same key as a DID is a different assignment.
	if _, err := s.GetAssignment(ctx, "acme", routing.KindDID, "carrier-7"); !errors.Is(err, routing.ErrNoAssignment) {
		t.Fatalf("kinds mixed: %v", err)
	}
	list, err := s.ListAssignments(ctx, "acme", routing.KindCustomer)
	if err != nil || len(list) != 1 || list[0].Key != "carrier-7" {
		t.Fatalf("list: %+v %v", list, err)
	}
	// Deleting the function deletes what routed to it.
	if err := s.Delete(ctx, "acme", fn.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAssignment(ctx, "acme", routing.KindCustomer, "carrier-7"); !errors.Is(err, routing.ErrNoAssignment) {
		t.Fatalf("assignment outlived its function: %v", err)
	}
	if err := s.DeleteAssignment(ctx, "acme", routing.KindCustomer, "carrier-7"); !errors.Is(err, routing.ErrNoAssignment) {
		t.Fatalf("delete of nothing: %v", err)
	}
}
