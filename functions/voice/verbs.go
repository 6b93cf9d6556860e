// Package voice is Class 5 programmable voice: call events in, call-control
// verbs out (TwiML-style XML or a JSON verb list), and per-call state.
// The gateway's handler (gateway/voice.go) only wires these together.
package voice

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A verb travels as JSON: {"verb": "say", "text": "Hi", "voice": "alice",
// "children": [...]}. "text" is the element's content (what is said, the
// URL played or redirected to, the number dialled); "children" are nested
// verbs (say/play/pause in gather; number/sip/client in dial). The same
// shape is what Apps may return as a plain array, and what an
// `Accept: application/json` caller gets back.

// Verb is one validated verb, attributes in the schema's order.
type Verb struct {
	Name     string
	Text     string
	HasText  bool
	Attrs    []Attr
	Children []Verb
}

// Attr is one attribute, already in its canonical form.
type Attr struct {
	Name  string
	Value any // string, int64 or bool
}

// Limits of one response, so that a runaway loop cannot build a huge answer.
const (
	MaxVerbs    = 200
	MaxTextLen  = 4096
	maxAttrLen  = 2048
	maxChildren = 50
)

type kind int

const (
	kString kind = iota
	kInt
	kBool
	kEnum
	kURL
	kPattern
)

type attrSpec struct {
	name     string
	kind     kind
	min, max int64          // kInt
	values   []string       // kEnum
	pattern  *regexp.Regexp // kPattern
	what     string         // kPattern: what the pattern means, for errors
}

type textSpec int

const (
	textNone     textSpec = iota
	textRequired          // the verb must have content
	textOptional
)

type verbSpec struct {
	xmlName  string
	text     textSpec
	textKind kind // kString, kURL or kPattern (with textPat)
	textPat  *regexp.Regexp
	textWhat string
	attrs    []attrSpec
	children []string // verbs allowed inside
	nested   bool     // only valid inside another verb
}

var (
	reLang     = regexp.MustCompile(`^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$`)
	reVoice    = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	rePlayKeys = regexp.MustCompile(`^[0-9*#wW]{1,64}$`)
	reKey      = regexp.MustCompile(`^[0-9*#]?$`)
	rePhone    = regexp.MustCompile(`^\+?[0-9*#]{1,32}$`)
	reCallerID = regexp.MustCompile(`^(\+?[0-9]{1,32}|[A-Za-z0-9 ._-]{1,64}|client:[A-Za-z0-9_.-]{1,128})$`)
	reSIP      = regexp.MustCompile(`^sips?:[^\s<>"]+$`)
	reClient   = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,128}$`)
)

var methods = []string{"GET", "POST"}

func aInt(name string, min, max int64) attrSpec {
	return attrSpec{name: name, kind: kInt, min: min, max: max}
}
func aEnum(name string, v ...string) attrSpec { return attrSpec{name: name, kind: kEnum, values: v} }
func aPat(name string, re *regexp.Regexp, what string) attrSpec {
	return attrSpec{name: name, kind: kPattern, pattern: re, what: what}
}

var (
	aAction = attrSpec{name: "action", kind: kURL}
	aMethod = aEnum("method", methods...)
	aLoop   = aInt("loop", 0, 1000)
)

// specs is every verb the module knows, by its JSON name.
var specs = map[string]*verbSpec{
	"say": {xmlName: "Say", text: textRequired, textKind: kString,
		attrs: []attrSpec{aPat("voice", reVoice, "a voice name (letters, digits, . _ : -)"), aPat("language", reLang, "a language tag such as en-US"), aLoop}},
	"play": {xmlName: "Play", text: textOptional, textKind: kURL,
		attrs: []attrSpec{aLoop, aPat("digits", rePlayKeys, "DTMF digits: 0-9 * # and w for a pause")}},
	"gather": {xmlName: "Gather", text: textNone,
		attrs: []attrSpec{aEnum("input", "dtmf", "speech", "dtmf speech"), aInt("numDigits", 1, 100), aInt("timeout", 1, 600),
			aPat("finishOnKey", reKey, "one key of 0-9 * #, or empty"), aAction, aMethod,
			aInt("speechTimeout", 1, 600), aPat("language", reLang, "a language tag such as en-US"), aPat("hints", regexp.MustCompile(`^[^\x00-\x1f]{0,1000}$`), "a comma-separated list of words")},
		children: []string{"say", "play", "pause"}},
	"dial": {xmlName: "Dial", text: textOptional, textKind: kPattern, textPat: rePhone, textWhat: "a phone number (+ and digits)",
		attrs: []attrSpec{aPat("callerId", reCallerID, "a phone number or caller name"), aInt("timeout", 5, 600),
			aEnum("record", "do-not-record", "record-from-answer", "record-from-ringing", "record-from-answer-dual", "record-from-ringing-dual"),
			aAction, aMethod, aInt("timeLimit", 1, 86400), {name: "hangupOnStar", kind: kBool}},
		children: []string{"number", "sip", "client"}},
	"number": {xmlName: "Number", text: textRequired, textKind: kPattern, textPat: rePhone, textWhat: "a phone number (+ and digits)", nested: true,
		attrs: []attrSpec{aPat("sendDigits", rePlayKeys, "DTMF digits: 0-9 * # and w for a pause")}},
	"sip": {xmlName: "Sip", text: textRequired, textKind: kPattern, textPat: reSIP, textWhat: "a sip: or sips: URI", nested: true,
		attrs: []attrSpec{{name: "username", kind: kString}, {name: "password", kind: kString}}},
	"client": {xmlName: "Client", text: textRequired, textKind: kPattern, textPat: reClient, textWhat: "a client name (letters, digits, _ . @ -)", nested: true},
	"record": {xmlName: "Record", text: textNone,
		attrs: []attrSpec{aInt("maxLength", 1, 14400), aInt("timeout", 0, 600), aPat("finishOnKey", regexp.MustCompile(`^[0-9*#]{0,12}$`), "keys of 0-9 * #"),
			aAction, aMethod, {name: "transcribe", kind: kBool}, {name: "transcribeCallback", kind: kURL}, {name: "playBeep", kind: kBool}}},
	"pause":    {xmlName: "Pause", text: textNone, attrs: []attrSpec{aInt("length", 1, 3600)}},
	"redirect": {xmlName: "Redirect", text: textRequired, textKind: kURL, attrs: []attrSpec{aMethod}},
	"hangup":   {xmlName: "Hangup", text: textNone},
	"reject":   {xmlName: "Reject", text: textNone, attrs: []attrSpec{aEnum("reason", "rejected", "busy")}},
	"sms": {xmlName: "Sms", text: textRequired, textKind: kString,
		attrs: []attrSpec{aPat("to", rePhone, "a phone number (+ and digits)"), aPat("from", rePhone, "a phone number (+ and digits)"), aAction, aMethod}},
}

// VerbNames lists the top-level verbs, for error messages and docs.
func VerbNames() []string {
	var names []string
	for n, s := range specs {
		if !s.nested {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// Error is a verb that fails validation; Path says where ("gather.children[0]").
type Error struct {
	Path string
	Verb string
	Attr string // "" for the verb itself, "text" for its content
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("voice: ")
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	if e.Verb != "" {
		b.WriteString(e.Verb)
		if e.Attr != "" {
			b.WriteString(" attribute " + strconv.Quote(e.Attr))
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ParseResponse reads a verb list: a JSON array of verbs (what an App
// returns, a VoiceResponse serialising itself as one).
func ParseResponse(raw []byte) ([]Verb, error) {
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil || list == nil {
		return nil, &Error{Msg: "a voice answer is a VoiceResponse or an array of verbs such as [{\"verb\": \"say\", \"text\": \"Hi\"}]"}
	}
	if len(list) > MaxVerbs {
		return nil, &Error{Msg: fmt.Sprintf("a response has at most %d verbs; this one has %d", MaxVerbs, len(list))}
	}
	verbs := make([]Verb, 0, len(list))
	for i, item := range list {
		v, err := ParseVerb(item, "", fmt.Sprintf("[%d]", i))
		if err != nil {
			return nil, err
		}
		verbs = append(verbs, v)
	}
	return verbs, nil
}

// ParseVerb validates one verb given as a JSON object. parent is the verb
// it is nested in ("" at the top level); path prefixes error messages.
func ParseVerb(raw []byte, parent, path string) (Verb, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return Verb{}, &Error{Path: path, Msg: "a verb is an object such as {\"verb\": \"say\", \"text\": \"Hi\"}"}
	}
	return parseVerb(obj, parent, path, false)
}

// CheckAttrs validates a verb's name and attributes only: a dial whose
// targets the builder adds next.
func CheckAttrs(raw []byte) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return &Error{Msg: "a verb is an object"}
	}
	_, err := parseVerb(obj, "", "", true)
	return err
}

func parseVerb(obj map[string]any, parent, path string, partial bool) (Verb, error) {
	name, _ := obj["verb"].(string)
	if name == "" {
		return Verb{}, &Error{Path: path, Msg: "a verb needs a \"verb\" name (one of " + strings.Join(VerbNames(), ", ") + ")"}
	}
	spec, ok := specs[name]
	if !ok {
		return Verb{}, &Error{Path: path, Msg: fmt.Sprintf("unknown verb %q (verbs: %s)", cut(name), strings.Join(VerbNames(), ", "))}
	}
	if parent == "" && spec.nested {
		return Verb{}, &Error{Path: path, Verb: name, Msg: "is only valid inside dial"}
	}
	if parent != "" && !slices.Contains(specs[parent].children, name) {
		return Verb{}, &Error{Path: path, Verb: name, Msg: fmt.Sprintf("cannot be nested in %s (it takes: %s)", parent, strings.Join(specs[parent].children, ", "))}
	}
	v := Verb{Name: name}
	fail := func(attr, msg string) (Verb, error) {
		return Verb{}, &Error{Path: path, Verb: name, Attr: attr, Msg: msg}
	}
	for key := range obj {
		if key == "verb" || key == "text" || key == "children" {
			continue
		}
		if !slices.ContainsFunc(spec.attrs, func(a attrSpec) bool { return a.name == key }) {
			return fail(cut(key), "unknown attribute (allowed: "+attrNames(spec)+")")
		}
	}
	for _, a := range spec.attrs {
		raw, ok := obj[a.name]
		if !ok || raw == nil {
			continue
		}
		val, msg := a.check(raw)
		if msg != "" {
			return fail(a.name, msg)
		}
		v.Attrs = append(v.Attrs, Attr{Name: a.name, Value: val})
	}
	if raw, ok := obj["text"]; ok && raw != nil {
		if spec.text == textNone {
			return fail("text", "takes no text")
		}
		s, isStr := raw.(string)
		if !isStr {
			if n, isNum := raw.(json.Number); isNum && name == "dial" {
				s = n.String() // dial(15551234567)
			} else {
				return fail("text", "must be a string")
			}
		}
		if msg := checkString(s, MaxTextLen); msg != "" {
			return fail("text", msg)
		}
		switch spec.textKind {
		case kURL:
			if msg := checkURL(s); msg != "" {
				return fail("text", msg)
			}
		case kPattern:
			if !spec.textPat.MatchString(s) {
				return fail("text", fmt.Sprintf("must be %s (got %q)", spec.textWhat, cut(s)))
			}
		}
		v.Text, v.HasText = s, true
	}
	if raw, ok := obj["children"]; ok && raw != nil {
		kids, isList := raw.([]any)
		if !isList || len(spec.children) == 0 {
			if len(spec.children) == 0 {
				return fail("children", "takes no nested verbs")
			}
			return fail("children", "must be an array of verbs")
		}
		if len(kids) > maxChildren {
			return fail("children", fmt.Sprintf("at most %d nested verbs", maxChildren))
		}
		for i, k := range kids {
			kp := fmt.Sprintf("%s.children[%d]", path+name, i)
			if path != "" {
				kp = fmt.Sprintf("%s.children[%d]", path, i)
			}
			ko, isObj := k.(map[string]any)
			if !isObj {
				return Verb{}, &Error{Path: kp, Msg: "a verb is an object such as {\"verb\": \"say\", \"text\": \"Hi\"}"}
			}
			child, err := parseVerb(ko, name, kp, false)
			if err != nil {
				return Verb{}, err
			}
			v.Children = append(v.Children, child)
		}
	}
	switch {
	case partial:
	case spec.text == textRequired && !v.HasText:
		return fail("text", "is required")
	case name == "play" && !v.HasText && !slices.ContainsFunc(v.Attrs, func(a Attr) bool { return a.Name == "digits" }):
		return fail("text", "a URL to play is required (or digits to send)")
	case name == "dial" && v.HasText && len(v.Children) > 0:
		return fail("text", "give one number as text or targets as children, not both")
	case name == "dial" && !v.HasText && len(v.Children) == 0:
		return fail("text", "needs someone to dial: a number, or number/sip/client targets")
	}
	return v, nil
}

func attrNames(s *verbSpec) string {
	if len(s.attrs) == 0 {
		return "none"
	}
	names := make([]string, len(s.attrs))
	for i, a := range s.attrs {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}

func (a attrSpec) check(raw any) (any, string) {
	switch a.kind {
	case kInt:
		n, ok := raw.(json.Number)
		if !ok {
			return nil, fmt.Sprintf("must be an integer from %d to %d", a.min, a.max)
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || f < float64(a.min) || f > float64(a.max) {
			return nil, fmt.Sprintf("must be an integer from %d to %d (got %s)", a.min, a.max, cut(n.String()))
		}
		return int64(f), ""
	case kBool:
		b, ok := raw.(bool)
		if !ok {
			return nil, "must be true or false"
		}
		return b, ""
	}
	s, ok := raw.(string)
	if !ok {
		return nil, "must be a string"
	}
	if msg := checkString(s, maxAttrLen); msg != "" {
		return nil, msg
	}
	switch a.kind {
	case kEnum:
		if !slices.Contains(a.values, s) {
			return nil, fmt.Sprintf("must be one of %s (got %q)", strings.Join(a.values, ", "), cut(s))
		}
	case kURL:
		if msg := checkURL(s); msg != "" {
			return nil, msg
		}
	case kPattern:
		if !a.pattern.MatchString(s) {
			return nil, fmt.Sprintf("must be %s (got %q)", a.what, cut(s))
		}
	}
	return s, ""
}

// checkString refuses what XML 1.0 cannot carry, so that no answer is
// silently altered on the way out.
func checkString(s string, max int) string {
	if len(s) > max {
		return fmt.Sprintf("is at most %d bytes (got %d)", max, len(s))
	}
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if !xmlChar(r) {
			return fmt.Sprintf("holds a character XML cannot carry (U+%04X)", r)
		}
	}
	return ""
}

func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D || (r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// checkURL accepts an absolute http(s) URL or a path the platform resolves
// against the webhook's URL, as TwiML platforms do.
func checkURL(s string) string {
	ok := strings.HasPrefix(s, "/") || strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
	if !ok || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Sprintf("must be an http(s) URL or a path starting with / (got %q)", cut(s))
	}
	return ""
}

func cut(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}

// RenderXML writes verbs as a TwiML-style document. encoding/xml escapes
// every attribute and text; checkString has already refused what it would
// have had to replace.
func RenderXML(verbs []Verb) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	root := xml.StartElement{Name: xml.Name{Local: "Response"}}
	if err := enc.EncodeToken(root); err != nil {
		return nil, err
	}
	for _, v := range verbs {
		if err := writeVerb(enc, v); err != nil {
			return nil, err
		}
	}
	if err := enc.EncodeToken(root.End()); err != nil {
		return nil, err
	}
	if err := enc.Flush(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeVerb(enc *xml.Encoder, v Verb) error {
	spec := specs[v.Name]
	if spec == nil {
		return errors.New("voice: unvalidated verb " + v.Name)
	}
	start := xml.StartElement{Name: xml.Name{Local: spec.xmlName}}
	for _, a := range v.Attrs {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: a.Name}, Value: attrString(a.Value)})
	}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if v.HasText {
		if err := enc.EncodeToken(xml.CharData(v.Text)); err != nil {
			return err
		}
	}
	for _, c := range v.Children {
		if err := writeVerb(enc, c); err != nil {
			return err
		}
	}
	return enc.EncodeToken(start.End())
}

func attrString(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// MarshalJSON writes a verb in the shape ParseVerb reads.
func (v Verb) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(`{"verb":`)
	name, _ := json.Marshal(v.Name)
	buf.Write(name)
	for _, a := range v.Attrs {
		k, _ := json.Marshal(a.Name)
		val, err := json.Marshal(a.Value)
		if err != nil {
			return nil, err
		}
		buf.WriteByte(',')
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(val)
	}
	if v.HasText {
		t, _ := json.Marshal(v.Text)
		buf.WriteString(`,"text":`)
		buf.Write(t)
	}
	if len(v.Children) > 0 {
		kids, err := json.Marshal(v.Children)
		if err != nil {
			return nil, err
		}
		buf.WriteString(`,"children":`)
		buf.Write(kids)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// RenderJSON writes verbs as the JSON verb list.
func RenderJSON(verbs []Verb) ([]byte, error) {
	if verbs == nil {
		verbs = []Verb{}
	}
	return json.Marshal(verbs)
}
