package engine

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

func TestWorkerKeepsState(t *testing.T) {
	e := New(Config{})
	tr, err := Transpile("w.js", `let count = 0;
		export async function main(d) { count += d.by; console.log("count", count); return count }
		export function spin() { for (;;) {} }`)
	if err != nil {
		t.Fatal(err)
	}
	inv := func(export, data string, timeout time.Duration) *functions.Invocation {
		return &functions.Invocation{Type: functions.TypeWorker, Code: tr.Code, Hash: tr.Hash, Export: export,
			Timeout: timeout, Data: json.RawMessage(data)}
	}
	w, err := e.NewWorker(context.Background(), inv("", `{}`, time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"2", "5", "6"} {
		by := map[int]string{0: `{"by":2}`, 1: `{"by":3}`, 2: `{"by":1}`}[i]
		res, err := w.Execute(context.Background(), inv("", by, time.Second))
		if err != nil || string(res.JSON) != want || len(res.Logs) != 1 {
			t.Fatalf("call %d: %v %v, want %s and one log line", i, res, err, want)
		}
	}
	// A call that times out does not poison the next one, nor the state.
	if _, err := w.Execute(context.Background(), inv("spin", `{}`, 50*time.Millisecond)); err == nil {
		t.Fatal("spin returned")
	}
	res, err := w.Execute(context.Background(), inv("", `{"by":10}`, time.Second))
	if err != nil || string(res.JSON) != "16" {
		t.Fatalf("after a timeout: %v %v", res, err)
	}
}
