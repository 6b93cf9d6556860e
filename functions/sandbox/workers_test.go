package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/workers"
)

func TestProcessWorker(t *testing.T) {
	m := workers.New(WorkerSpawner(Config{Env: []string{childEnv + "=1"}, Grace: 300 * time.Millisecond},
		func(memoryMB int) *exec.Cmd {
			return exec.Command(os.Args[0], "-test.run=^$", fmt.Sprint("worker=", memoryMB))
		}))
	defer m.Close()
	src := `let count = 0;
		export function main() { return ++count }
		export function bomb() { return "x".repeat(450e6).length }`
	call := func(export string) (*functions.Result, error) {
		inv := invocation(t, "acme", src, 64, 5*time.Second)
		inv.Type, inv.Export, inv.MemoryMB = functions.TypeWorker, export, 64
		return m.Execute(context.Background(), inv)
	}
	for want := 1; want <= 3; want++ {
		res, err := call("")
		if err != nil || string(res.JSON) != fmt.Sprint(want) {
			t.Fatalf("call %d: %v %v", want, res, err)
		}
	}
	// A call's budget of 1 GB lets the bomb past the guard (in production a
	// worker's budget is its process's cap); the process, started with a
	// 64 MB cap, dies.
	inv := invocation(t, "acme", src, 1024, 5*time.Second)
	inv.Type, inv.Export = functions.TypeWorker, "bomb"
	_, err := m.Execute(context.Background(), inv)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeMemoryLimit {
		t.Fatalf("bomb: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := call("")
		if err == nil {
			if string(res.JSON) != "1" {
				t.Fatalf("state survived the crash: %s", res.JSON)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("worker not back: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st := m.Status("fn_acme"); st.State != "running" || st.Restarts != 1 {
		t.Fatalf("status %+v, want running with 1 restart", st)
	}
	m.Stop("fn_acme")
	if _, err := call(""); !errors.As(err, &re) || re.Code != workers.CodeStopped {
		t.Fatalf("stopped worker ran: %v", err)
	}
	m.Start("fn_acme")
	if res, err := call(""); err != nil || string(res.JSON) != "1" {
		t.Fatalf("after start: %v %v", res, err)
	}
}
