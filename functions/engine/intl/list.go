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
	apply := func(pattern string, first []Part, second []Part) []Part {
		if len(second) > 0 {
			pattern = contextual(lang, typ, pattern, second[0].Value)
		}
		var out []Part
		for pattern != "" {
			i := strings.IndexByte(pattern, '{')
			if i < 0 || i+2 >= len(pattern) || pattern[i+2] != '}' {
				out = append(out, Part{Type: "literal", Value: pattern})
				break
			}
			if i > 0 {
				out = append(out, Part{Type: "literal", Value: pattern[:i]})
			}
			if pattern[i+1] == '0' {
				out = append(out, first...)
			} else {
				out = append(out, second...)
			}
			pattern = pattern[i+3:]
		}
		return out
	}
	el := func(s string) []Part { return []Part{{Type: "element", Value: s}} }
	switch n := len(elems); n {
	case 0:
		return []Part{}, nil
	case 1:
		return el(elems[0]), nil
	case 2:
		return apply(p.Two, el(elems[0]), el(elems[1])), nil
	default:
		out := apply(p.End, el(elems[n-2]), el(elems[n-1]))
		for i := n - 3; i >= 1; i-- {
			out = apply(p.Middle, el(elems[i]), out)
		}
		return apply(p.Start, el(elems[0]), out), nil
	}
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
