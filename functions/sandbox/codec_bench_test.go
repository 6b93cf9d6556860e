package sandbox

import (
	"github.com/scriptforge/scriptforge/functions"
	"testing"
)

// The frame codec on its own, for a typical invocation (no code: the
// sandbox has it) and a typical result.

func BenchmarkEncodeInvocation(b *testing.B) {
	inv := typicalInvocation()
	for _, bc := range []struct {
		name  string
		flags byte
	}{{"ref", 0}, {"version", withVersion}} {
		b.Run(bc.name, func(b *testing.B) {
			buf := make([]byte, 0, 4096)
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				var err error
				if buf, err = appendRun(buf[:0], 42, inv, 1, bc.flags); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeInvocation(b *testing.B) {
	inv := typicalInvocation()
	versions := newVersionTable()
	if _, err := decodeRequest(mustRun(b, inv, withVersion), versions); err != nil {
		b.Fatal(err)
	}
	frame := mustRun(b, inv, 0)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		// A frame is decoded from a buffer of its own (readFrame's).
		got, err := decodeRequest(append([]byte(nil), frame...), versions)
		if err != nil || got.Inv == nil {
			b.Fatal(err)
		}
	}
}

func mustRun(b *testing.B, inv *functions.Invocation, flags byte) []byte {
	frame, err := appendRun(nil, 42, inv, 1, flags)
	if err != nil {
		b.Fatal(err)
	}
	return frame
}

func BenchmarkEncodeResult(b *testing.B) {
	resp := response{ID: 42, Result: typicalResult()}
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = appendResponse(buf[:0], &resp)
	}
}

func BenchmarkDecodeResult(b *testing.B) {
	frame := appendResponse(nil, &response{ID: 42, Result: typicalResult()})
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		got, err := decodeResponse(append([]byte(nil), frame...))
		if err != nil || got.Result == nil {
			b.Fatal(err)
		}
	}
}
