package sandbox

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"testing"
)

// threadsChildEnv makes the test child cap its address space as a sandbox
// does, then hold lockedThreads OS threads at once, as runs locked to
// their threads and waiting for a lock do under load.
const threadsChildEnv = "SCRIPTFORGE_SANDBOX_TEST_THREADS"

const lockedThreads = 32

func runThreadsChild(memoryMB int) error {
	if err := capAddressSpace(uint64(memoryMB) << 20); err != nil {
		return err
	}
	var started sync.WaitGroup
	release := make(chan struct{})
	for range lockedThreads {
		started.Add(1)
		go func() {
			runtime.LockOSThread() // a thread of its own, kept while blocked
			started.Done()
			<-release
		}()
	}
	started.Wait()
	close(release)
	fmt.Println("threads ok")
	return nil
}

// Under the address-space cap, a sandbox of a small budget holds 32
// threads at once: with cgo, C's arenas (see mallocArenas) left room for
// 8, and 32 parallel runs of BenchmarkPoolRouting killed sandboxes.
func TestSandboxThreadsFitTheCap(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = []string{mallocArenas, childEnv + "=64", threadsChildEnv + "=1"} // as startProcess gives it
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "threads ok\n" {
		t.Fatalf("the child with %d threads under a 64 MiB budget: %v\n%.2000s", lockedThreads, err, out)
	}
}
