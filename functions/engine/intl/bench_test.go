package intl

import "testing"

func BenchmarkFormatCurrency(b *testing.B) {
	o := decimalOpts()
	o.Style, o.Currency, o.CurrencyDisplay, o.MinFrac, o.MaxFrac = "currency", "EUR", "symbol", 2, 2
	f, _ := NewNumberFormat("de", o)
	for i := 0; i < b.N; i++ {
		_, _ = f.Format(FromFloat(float64(i) * 1.37))
	}
}

func BenchmarkFormatHuge(b *testing.B) {
	f, _ := NewNumberFormat("en", decimalOpts())
	d, _ := ParseDecimal("1e9999")
	for i := 0; i < b.N; i++ {
		_, _ = f.FormatToParts(d)
	}
}

func BenchmarkNewNumberFormat(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_, _ = NewNumberFormat("en", decimalOpts())
	}
}

func BenchmarkNumberingSystem(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = NumberingSystem("en", "")
	}
}

func BenchmarkResolve(b *testing.B) {
	for i := 0; i < b.N; i++ {
		_ = Resolve([]string{"en"}, Formatting)
	}
}
