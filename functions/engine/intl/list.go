package intl

import (
	"fmt"
	"regexp"
	"strings"
)

type listPatterns map[string]struct {
	Start  string `json:"start"`
	Middle string `json:"middle"`
	End    string `json:"end"`
	Two    string `json:"2"`
}

// FormatList joins elements (parts of type element and literal) as CLDR's list patterns of a data locale say
// (typ conjunction, disjunction or unit; style long, short or narrow):
// the two-element pattern, or start, middles and end.
func FormatList(dataLocale, typ, style string, elems []string) ([]Part, error) {
	var pats listPatterns
	if err := Record("lists", dataLocale, &pats); err != nil {
		return nil, err
	}
	name := map[string]string{"conjunction": "standard", "disjunction": "or", "unit": "unit"}[typ]
	if style != "long" {
		name += "-" + style
	}
	p, ok := pats[name]
	if !ok {
		return nil, fmt.Errorf("no list pattern %s", name)
	}
	lang, _, _ := strings.Cut(dataLocale, "-")
	n := len(elems)
	switch n {
	case 0:
		return []Part{}, nil
	case 1:
		return []Part{{Type: "element", Value: elems[0]}}, nil
	}
	// The patterns nest (start holds middle holds … end), and each puts
	// {0} before {1}: the list is written in one pass, each pattern's text
	// before {0} and between {0} and {1} on the way in, its text after
	// {1} on the way out, so a long list costs its length, not its square.
	out := make([]Part, 0, 4*n)
	var after []string
	literal := func(s string) {
		if s != "" {
			out = append(out, Part{Type: "literal", Value: s})
		}
	}
	for i := 0; i < n-1; i++ {
		pattern := p.Middle
		switch {
		case n == 2:
			pattern = p.Two
		case i == 0:
			pattern = p.Start
		case i == n-2:
			pattern = p.End
		}
		pattern = contextual(lang, typ, pattern, elems[i+1])
		before, rest, ok1 := strings.Cut(pattern, "{0}")
		between, tail, ok2 := strings.Cut(rest, "{1}")
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("list pattern %q has not {0} before {1}", pattern)
		}
		literal(before)
		out = append(out, Part{Type: "element", Value: elems[i]})
		literal(between)
		after = append(after, tail)
	}
	out = append(out, Part{Type: "element", Value: elems[n-1]})
	for i := len(after) - 1; i >= 0; i-- {
		literal(after[i])
	}
	return out, nil
}

// The conjunctions of Spanish and Hebrew change with the word that
// follows them, as ICU (and so Node) changes them: Spanish "y" is "e"
// before an i sound (iglesia, hilo, not hielo), "o" is "u" before an o
// sound (oso, hora, 8, 11); Hebrew "ו" takes a hyphen before a word not
// written in Hebrew.
var (
	spanishE  = regexp.MustCompile(`(?i)^(i|hi([^ae]|$))`)
	spanishU  = regexp.MustCompile(`(?i)^(o|ho|8|11(\s|$))`)
	nonHebrew = regexp.MustCompile(`^[^\x{05D0}-\x{05EA}]`)
)

func contextual(lang, typ, pattern, next string) string {
	switch {
	case lang == "es" && typ == "conjunction" && spanishE.MatchString(next):
		return strings.Replace(pattern, " y ", " e ", 1)
	case lang == "es" && typ == "disjunction" && spanishU.MatchString(next):
		return strings.Replace(pattern, " o ", " u ", 1)
	case lang == "he" && nonHebrew.MatchString(next):
		return strings.Replace(pattern, "ו{1}", "ו-{1}", 1)
	}
	return pattern
}
