package gateway

import (
	"strings"
	"testing"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/contract"
)

// The contract cache compiles a function's schemas once per change,
// reuses them while the text is the same (even a copy of it, as after
// the lookup cache refetched the function), and holds a bounded amount
// of schema text.
func TestContractCache(t *testing.T) {
	cc := newContractCache(100, 1000, contract.Budget{})
	fn := func(id, in string) functions.Deployed {
		var d functions.Deployed
		d.ID, d.InputSchema = id, functions.JSONSchema(in)
		return d
	}
	if e, err := cc.get(fn("a", "")); e != nil || err != nil {
		t.Fatalf("no schema: %v %v", e, err)
	}
	small := `{"type":"object"}`
	first, err := cc.get(fn("a", small))
	if err != nil || first == nil || first.input == nil || first.output != nil {
		t.Fatalf("first: %+v %v", first, err)
	}
	if again, _ := cc.get(fn("a", strings.Clone(small))); again != first {
		t.Fatal("the same schema text was compiled again")
	}
	changed, _ := cc.get(fn("a", `{"type":"array"}`))
	if changed == first || cc.bytes != len(`{"type":"array"}`) {
		t.Fatalf("a changed schema: reused %v, %d bytes held", changed == first, cc.bytes)
	}
	big := `{"description":"` + strings.Repeat("x", 600) + `"}`
	for _, id := range []string{"b", "c"} {
		if _, err := cc.get(fn(id, big)); err != nil {
			t.Fatal(err)
		}
	}
	if cc.bytes > 1000 || cc.lru.Len() != 1 {
		t.Fatalf("%d bytes in %d entries, bound 1000", cc.bytes, cc.lru.Len())
	}
	if _, ok := cc.lru.Get("c"); !ok {
		t.Fatal("the newest entry was evicted")
	}
}
