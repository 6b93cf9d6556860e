package postgres

import (
	"strings"
	"unicode/utf8"
)

// pgText makes free text that a function produced (an error message) fit
// a TEXT column: PostgreSQL refuses NUL bytes and invalid UTF-8, which
// SQLite stores, and one refused run record would fail its whole batch.
// Each offending byte becomes U+FFFD.
func pgText(s string) string {
	if utf8.ValidString(s) && !strings.Contains(s, "\x00") {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}
