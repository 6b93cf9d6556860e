package sandbox

import (
	"bufio"
	"bytes"
	"testing"
)

func BenchmarkEncodeInvocation(b *testing.B) {
	req := request{ID: 42, Inv: typicalInvocation()}
	req.Inv.Code = ""
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := encodeFrame(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeInvocation(b *testing.B) {
	req := request{ID: 42, Inv: typicalInvocation()}
	req.Inv.Code = ""
	frame, _ := encodeFrame(req)
	b.SetBytes(int64(len(frame)))
	rd := bytes.NewReader(frame)
	in := bufio.NewReader(rd)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rd.Reset(frame)
		in.Reset(rd)
		var got request
		if err := readFrame(in, &got); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeResult(b *testing.B) {
	resp := response{ID: 42, Result: typicalResult()}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := encodeFrame(resp); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeResult(b *testing.B) {
	frame, _ := encodeFrame(response{ID: 42, Result: typicalResult()})
	b.SetBytes(int64(len(frame)))
	rd := bytes.NewReader(frame)
	in := bufio.NewReader(rd)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		rd.Reset(frame)
		in.Reset(rd)
		var got response
		if err := readFrame(in, &got); err != nil {
			b.Fatal(err)
		}
	}
}
