package contract

import "testing"

// BenchmarkValidate is one small body against a small schema, the
// common case bench/schemas.sh measures end to end.
func BenchmarkValidate(b *testing.B) {
	s, err := Compile("input_schema", []byte(`{"type":"object","required":["n"],"properties":{"n":{"type":"integer","minimum":0}},"additionalProperties":false}`), Budget{})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"n":42}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if res, err := s.Validate(body); err != nil || !res.OK() {
				b.Fatal(res, err)
			}
		}
	})
}
