package engine

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"hash"
	"math/big"
	"sort"

	"github.com/dop251/goja"
	"github.com/google/uuid"
)

// The crypto module and the crypto global (js/crypto.js). Hashes, HMACs
// and randomness are Go's: crypto/rand for every random byte.
func init() {
	registerModule("crypto", func(r *run) goja.Value { return r.libExport("crypto", "crypto") })
	// The global is Web Crypto, as in browsers, Workers and Node.
	registerGlobal("crypto", false, func(r *run) goja.Value { return r.libExport("crypto", "webcrypto") })
	libHosts["crypto"] = func(r *run, host *goja.Object) {
		vm := r.vm
		_ = host.Set("hash", func(c goja.FunctionCall) goja.Value {
			name := c.Argument(0).String()
			newHash, ok := hashes[name]
			if !ok {
				panic(r.newError("Error", "Digest method not supported: "+name))
			}
			var h hash.Hash
			if key := c.Argument(1); goja.IsNull(key) {
				h = newHash()
			} else {
				h = hmac.New(newHash, r.bytes(key))
			}
			return r.hashObject(h)
		})
		_ = host.Set("hashes", func(goja.FunctionCall) goja.Value {
			names := make([]any, 0, len(hashes))
			for _, n := range hashNames() {
				names = append(names, n)
			}
			return vm.NewArray(names...)
		})
		_ = host.Set("random", func(c goja.FunctionCall) goja.Value {
			b := make([]byte, c.Argument(0).ToInteger()) // bounded by crypto.js
			_, _ = rand.Read(b)
			return vm.ToValue(vm.NewArrayBuffer(b))
		})
		_ = host.Set("randomBelow", func(c goja.FunctionCall) goja.Value {
			n, _ := rand.Int(rand.Reader, big.NewInt(c.Argument(0).ToInteger()))
			return vm.ToValue(n.Int64())
		})
		_ = host.Set("uuid", func(goja.FunctionCall) goja.Value { return vm.ToValue(uuid.NewString()) })
		_ = host.Set("equal", func(c goja.FunctionCall) goja.Value {
			return vm.ToValue(subtle.ConstantTimeCompare(r.bytes(c.Argument(0)), r.bytes(c.Argument(1))) == 1)
		})
	}
}

var hashes = map[string]func() hash.Hash{
	"md5": md5.New, "sha1": sha1.New, "sha224": sha256.New224, "sha256": sha256.New,
	"sha384": sha512.New384, "sha512": sha512.New, "sha512-256": sha512.New512_256,
}

func hashNames() []string {
	names := make([]string, 0, len(hashes))
	for n := range hashes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// hashObject wraps a running hash for js/crypto.js: update(bytes),
// digest() → ArrayBuffer.
func (r *run) hashObject(h hash.Hash) goja.Value {
	o := r.vm.NewObject()
	_ = o.Set("update", func(c goja.FunctionCall) goja.Value {
		h.Write(r.bytes(c.Argument(0)))
		return goja.Undefined()
	})
	_ = o.Set("digest", func(goja.FunctionCall) goja.Value { return r.vm.ToValue(r.vm.NewArrayBuffer(h.Sum(nil))) })
	return o
}
