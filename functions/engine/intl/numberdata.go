package intl

import (
	"strconv"
	"sync"
)

// numberSystemData is one numbering system's share of numbers.json.
type numberSystemData struct {
	Symbols       map[string]string `json:"symbols"`
	Decimal       string            `json:"decimal"`
	Percent       string            `json:"percent"`
	Currency      string            `json:"currency"`
	Accounting    string            `json:"accounting"`
	Short         map[string]string `json:"short"`
	Long          map[string]string `json:"long"`
	CurrencyShort map[string]string `json:"currencyShort"`
	UnitPattern   map[string]string `json:"unitPattern"`
	Range         string            `json:"range"`
	Spacing       struct {
		Before struct {
			InsertBetween string `json:"insertBetween"`
		} `json:"beforeCurrency"`
		After struct {
			InsertBetween string `json:"insertBetween"`
		} `json:"afterCurrency"`
	} `json:"spacing"`
}

type numbersRecord struct {
	MinimumGroupingDigits string                       `json:"minimumGroupingDigits"`
	Systems               map[string]*numberSystemData `json:"systems"`
}

// CLDR data are immutable: decoded once per process and locale.
var numbersCache, currenciesCache sync.Map

func numbersOf(locale string) *numbersRecord {
	if v, ok := numbersCache.Load(locale); ok {
		return v.(*numbersRecord)
	}
	var rec numbersRecord
	if err := Record("numbers", locale, &rec); err != nil {
		panic("intl: " + err.Error())
	}
	v, _ := numbersCache.LoadOrStore(locale, &rec)
	return v.(*numbersRecord)
}

func currenciesOf(locale string) map[string]map[string]string {
	if v, ok := currenciesCache.Load(locale); ok {
		return v.(map[string]map[string]string)
	}
	var rec map[string]map[string]string
	if err := Record("currencies", locale, &rec); err != nil {
		panic("intl: " + err.Error())
	}
	v, _ := currenciesCache.LoadOrStore(locale, rec)
	return v.(map[string]map[string]string)
}

var systemSymbolTable = sync.OnceValue(func() map[string]map[string]string {
	var m map[string]map[string]string
	mustDecode("systemsymbols", &m)
	return m
})

var currencyDigitTable = sync.OnceValue(func() map[string]string {
	var m map[string]string
	mustDecode("currencydigits", &m)
	return m
})

// CurrencyDigits is the number of fraction digits of a currency (upper
// case ISO code): CLDR's, which is what ICU, and so Node.js, use.
func CurrencyDigits(code string) int {
	m := currencyDigitTable()
	d, ok := m[code]
	if !ok {
		d = m["DEFAULT"]
	}
	n, _ := strconv.Atoi(d)
	return n
}
