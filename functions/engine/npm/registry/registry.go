// Package registry fetches pinned npm tarballs for the code generators
// (the npm bundles, the CLDR tables of Intl): a download, its check
// against the lockfile's sha512 integrity, and its files unpacked.
package registry

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

var client = &http.Client{Timeout: 120 * time.Second}

// Pin is a lockfile's entry: a package at a version, where its tarball
// is, and the tarball's integrity.
type Pin struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	Resolved  string `json:"resolved"`
	Integrity string `json:"integrity"`
	License   string `json:"license"`
}

// Fetch downloads a pinned tarball, checks its integrity and unpacks it
// into dir, saying so on standard output; it returns the LICENSE text.
func Fetch(p Pin, dir string) (license string, err error) {
	fmt.Printf("downloading %s\n", p.Resolved)
	tgz, err := Download(p.Resolved)
	if err != nil {
		return "", err
	}
	if err := Verify(tgz, p.Integrity); err != nil {
		return "", fmt.Errorf("%s@%s: %w", p.Name, p.Version, err)
	}
	fmt.Printf("verified %s@%s (%d bytes)\n", p.Name, p.Version, len(tgz))
	license, err = Extract(tgz, dir)
	if err != nil {
		return "", fmt.Errorf("%s: %w", p.Name, err)
	}
	return license, nil
}

// Download GETs url, 64 MiB at most.
func Download(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return io.ReadAll(io.LimitReader(resp.Body, 64<<20))
}

// Verify checks an npm integrity string (sha512 only: the registry's own).
func Verify(data []byte, integrity string) error {
	want, ok := strings.CutPrefix(integrity, "sha512-")
	if !ok {
		return fmt.Errorf("integrity %q is not sha512", integrity)
	}
	sum := sha512.Sum512(data)
	if got := base64.StdEncoding.EncodeToString(sum[:]); got != want {
		return fmt.Errorf("integrity mismatch: the lockfile says sha512-%s, the download is sha512-%s", want, got)
	}
	return nil
}

// Extract unpacks an npm tarball (its files under package/) into dir, and
// returns its LICENSE text. Entries that would leave dir are refused.
func Extract(tgz []byte, dir string) (license string, err error) {
	gz, err := gzip.NewReader(bytes.NewReader(tgz))
	if err != nil {
		return "", err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return license, nil
		}
		if err != nil {
			return "", err
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := path.Clean(h.Name)
		if _, rest, ok := strings.Cut(name, "/"); ok {
			name = rest // package/… (some packages use another top folder)
		}
		if path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return "", fmt.Errorf("tarball entry %q leaves the package", h.Name)
		}
		body, err := io.ReadAll(io.LimitReader(tr, 32<<20))
		if err != nil {
			return "", err
		}
		if regexp.MustCompile(`(?i)^licen[cs]e(\.md|\.txt)?$`).MatchString(name) {
			license = string(body)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return "", err
		}
		if err := os.WriteFile(target, body, 0o644); err != nil {
			return "", err
		}
	}
}
