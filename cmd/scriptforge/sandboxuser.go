package main

import (
	"os"
	"path/filepath"
	"syscall"
)

// nobody is the conventional unprivileged user and group.
const nobody = 65534

// sandboxCredential returns the user the sandboxes should run as: nobody,
// when the gateway runs as root (as in the container image) and nobody
// can execute this binary. nil otherwise: they then run as the gateway's
// own user, and the reason is returned for the log.
func sandboxCredential() (*syscall.Credential, string) {
	if os.Geteuid() != 0 {
		return nil, "the gateway does not run as root"
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err.Error()
	}
	// Every directory on the way must be searchable, and the file executable, by others.
	for p := self; ; p = filepath.Dir(p) {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err.Error()
		}
		if fi.Mode().Perm()&0o001 == 0 {
			return nil, p + " is not accessible to other users"
		}
		if p == filepath.Dir(p) {
			break
		}
	}
	return &syscall.Credential{Uid: nobody, Gid: nobody, Groups: []uint32{}}, ""
}
