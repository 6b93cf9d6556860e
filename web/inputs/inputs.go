// Package inputs hashes what the IDE's bundle is built from: the sources
// under web/src, the lockfile and the generator. The generator writes the hash into
// web/dist; a test recomputes it, with no network, to catch a stale dist.
package inputs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Lockfile is the name of the pins file, beside src/.
const Lockfile = "npm.lock.json"

// Hash returns the sha256 (hex) of the inputs under dir (the web folder):
// every file of src/, the lockfile and the generator's code (gen/, tests
// aside: how the bundle is made is an input too), by path then content,
// each length prefixed so no two sets of files hash alike. Line endings
// are hashed as they are: a checkout that rewrites them makes dist look
// stale.
func Hash(dir string) (string, error) {
	var files []string
	for _, sub := range []string{"src", "gen"} {
		err := filepath.WalkDir(filepath.Join(dir, sub), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(p, "_test.go") {
				return err
			}
			rel, err := filepath.Rel(dir, p)
			files = append(files, filepath.ToSlash(rel))
			return err
		})
		if err != nil && !(sub == "gen" && errors.Is(err, fs.ErrNotExist)) {
			return "", err
		}
	}
	files = append(files, Lockfile)
	sort.Strings(files)
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(f)))
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%d:%s\n%d\n", len(f), f, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// StampPrefix starts the line of dist/BUILD that records the hash.
const StampPrefix = "inputs-sha256 "

// Stamp is dist/BUILD's text for a hash.
func Stamp(hash string) string {
	return StampPrefix + hash + "\n"
}

// Parse reads the hash back from dist/BUILD's text.
func Parse(stamp string) (string, bool) {
	for line := range strings.SplitSeq(stamp, "\n") {
		if h, ok := strings.CutPrefix(line, StampPrefix); ok {
			return strings.TrimSpace(h), true
		}
	}
	return "", false
}
