package sandbox

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scriptforge/scriptforge/functions"
)

func TestCgroup2Mount(t *testing.T) {
	for _, tc := range []struct {
		name, mountinfo, want string
		ok                    bool
	}{
		{"unified only", "29 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", "/sys/fs/cgroup", true},
		{"hybrid", "30 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n" +
			"31 25 0:28 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n", "/sys/fs/cgroup/unified", true},
		{"v1 only", "30 25 0:27 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n", "", false},
		{"optional fields", "31 25 0:28 / /cg rw shared:9 master:2 - cgroup2 none rw\n", "/cg", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "mountinfo")
			if err := os.WriteFile(path, []byte(tc.mountinfo), 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := cgroup2Mount(path)
			if tc.ok != (err == nil) || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
			if err != nil && !errors.Is(err, ErrNoCgroups) {
				t.Fatalf("error does not wrap ErrNoCgroups: %v", err)
			}
		})
	}
}

func TestOwnCgroup(t *testing.T) {
	for _, tc := range []struct{ content, want string }{
		{"0::/system.slice/scriptforge.service\n", "/system.slice/scriptforge.service"},
		{"4:memory:/x\n1:cpu:/\n0::/\n", "/"},
		{"4:memory:/x\n", ""},
	} {
		path := filepath.Join(t.TempDir(), "cgroup")
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := ownCgroup(path)
		if got != tc.want || (tc.want == "") != errors.Is(err, ErrNoCgroups) {
			t.Fatalf("%q: got %q, %v", tc.content, got, err)
		}
	}
}

// The cgroup files are plain files on a fake hierarchy: what the code
// reads and writes is checked, not the kernel's part.
func TestOpenCgroupsOnAFakeHierarchy(t *testing.T) {
	write := func(t *testing.T, path, s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("no cgroup files", func(t *testing.T) {
		if _, err := openCgroups(t.TempDir(), 1); !errors.Is(err, ErrNoCgroups) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("no memory controller", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "cgroup.controllers"), "hugetlb\n")
		_, err := openCgroups(dir, 1)
		if !errors.Is(err, ErrNoCgroups) || !strings.Contains(err.Error(), "no memory controller") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("memory controller", func(t *testing.T) {
		dir := t.TempDir()
		write(t, filepath.Join(dir, "cgroup.controllers"), "cpu io memory pids\n")
		write(t, filepath.Join(dir, "cgroup.subtree_control"), "")
		cgs, err := openCgroups(dir, 1)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control")); string(b) != "+memory" {
			t.Fatalf("subtree_control: %q", b)
		}
		cg, err := cgs.newCgroup(64 << 20)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(filepath.Join(cg.dir, "memory.max")); string(b) != "67108864" {
			t.Fatalf("memory.max: %q", b)
		}
		if b, _ := os.ReadFile(filepath.Join(cg.dir, "memory.swap.max")); string(b) != "0" {
			t.Fatalf("memory.swap.max: %q", b)
		}
		if n := cg.oomKills(); n != 0 {
			t.Fatalf("oom kills without memory.events: %d", n)
		}
		write(t, filepath.Join(cg.dir, "memory.events"), "low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\n")
		if n := cg.oomKills(); n != 2 {
			t.Fatalf("oom kills: %d", n)
		}
		other, err := cgs.newCgroup(1 << 30)
		if err != nil || other.dir == cg.dir {
			t.Fatalf("second cgroup: %v, %v", other, err)
		}
	})
}

// On a machine where the gateway may create cgroup v2 groups with the
// memory controller, a sandbox runs in one and a bomb past its cap is
// reported as a memory-limit death. Elsewhere (this project's CI machines
// have cgroup v2 without the memory controller), the fallback, RLIMIT_AS,
// is what TestSandboxDeathIsContained covers.
func TestSandboxInMemoryCgroup(t *testing.T) {
	cgs, err := OpenCgroups()
	if errors.Is(err, ErrNoCgroups) {
		t.Skipf("cgroup v2 memory control unavailable here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	p := New(Config{Size: 1, MemoryMB: 64, Grace: 300 * time.Millisecond, Cgroups: cgs,
		Env: []string{childEnv + "=64"}, Command: testChildCommand})
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	pid := p.slots[0].current().cmd.Process.Pid
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cgroup"))
	if err != nil || !strings.Contains(string(b), filepath.Base(p.slots[0].cgroup.dir)) {
		t.Fatalf("the sandbox is not in its cgroup: %q %v", b, err)
	}
	bomb := invocation(t, "evil", `exports.main = () => "x".repeat(450e6).length`, 1024, 5*time.Second)
	_, err = p.Execute(context.Background(), bomb)
	var re *functions.RunError
	if !errors.As(err, &re) || re.Code != functions.CodeMemoryLimit {
		t.Fatalf("bomb: %v", err)
	}
}
