package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// schemaURL names the one document a compiler knows. It is a URN, not a
// URL: nothing can be fetched from it, and a relative $ref resolves
// against it to another URN that the loader refuses.
const schemaURL = "urn:scriptforge:schema"

// budgetVocab is the URL of the vocabulary that counts evaluations.
const budgetVocab = "urn:scriptforge:budget"

// Schema is a compiled schema. It is safe for concurrent use: each
// validation takes a compiled copy of its own from a free list (each
// copy counts its own evaluations), so validations never contend.
type Schema struct {
	raw    []byte
	doc    any // the parsed schema, checked; recompiled into copies
	budget Budget
	free   chan *compiled
	quick  *quick // nil unless the schema is one it can judge (quick.go)
}

// compiled is one copy of a schema with the meter its evaluations tick.
type compiled struct {
	sch   *jsonschema.Schema
	meter *meter
}

// meter counts the schema evaluations of one validation and stops it
// (by panicking with errStop, recovered by Validate) past its budget.
type meter struct {
	steps, limit int
	started      time.Time
	maxTime      time.Duration
}

type stopSignal struct{}

func (m *meter) Validate(*jsonschema.ValidatorContext, any) {
	m.steps++
	if m.steps > m.limit {
		panic(stopSignal{})
	}
	// time.Now costs ~20 ns: look at the clock once every 256 steps.
	if m.steps&255 == 0 && time.Since(m.started) > m.maxTime {
		panic(stopSignal{})
	}
}

// refuseLoader loads nothing: a schema is one self-contained document.
type refuseLoader struct{}

func (refuseLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("schemas may not refer to other documents (%s): put definitions under $defs and use \"#/$defs/…\"", url)
}

// Compile checks raw as a schema of field (input_schema or output_schema)
// and compiles it. A schema that is not JSON, too large, too deep, not a
// valid 2020-12 schema, refers to another document, or has a $ref loop
// is a *SchemaError.
func Compile(field string, raw []byte, budget Budget) (*Schema, error) {
	bad := func(format string, args ...any) error {
		return &SchemaError{Field: field, Problem: fmt.Sprintf(format, args...)}
	}
	if len(raw) > MaxSchemaBytes {
		return nil, bad("the schema is %d bytes; the limit is %d", len(raw), MaxSchemaBytes)
	}
	doc, err := decode(raw)
	if err != nil {
		return nil, bad("not JSON: %v", err)
	}
	switch doc.(type) {
	case map[string]any, bool:
	default:
		return nil, bad("a schema is a JSON object or a boolean")
	}
	if d := depth(doc); d > MaxSchemaDepth {
		return nil, bad("the schema nests %d levels deep; the limit is %d", d, MaxSchemaDepth)
	}
	s := &Schema{raw: raw, doc: doc, budget: budget.withDefaults(), free: make(chan *compiled, keptCopies(len(raw))), quick: quickOf(doc)}
	c, err := s.compile()
	if err != nil {
		return nil, bad("%s", trim(err.Error()))
	}
	// A $ref loop (a schema that refers to itself at the same instance
	// location) fails every value; say so now rather than at each call.
	// The probe also runs the budget over a few small values.
	for _, probe := range []any{nil, map[string]any{}, []any{}, "", false} {
		res, err := s.run(c, probe)
		if errors.Is(err, ErrBudget) {
			return nil, bad("validating even a small value takes more than the validation budget (%d steps, %s)", s.budget.Steps, s.budget.Time)
		}
		for _, f := range res.Failures {
			if f.cycle {
				return nil, bad("$ref loop: %s", f.Message)
			}
		}
	}
	s.put(c)
	return s, nil
}

// compile builds one copy of the schema from its parsed document, with a
// meter of its own.
func (s *Schema) compile() (*compiled, error) {
	m := &meter{limit: s.budget.Steps, maxTime: s.budget.Time}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(refuseLoader{})
	c.RegisterVocabulary(&jsonschema.Vocabulary{
		URL:    budgetVocab,
		Schema: emptySchema,
		// Called for every object (sub)schema: each gets the meter, so
		// every evaluation of one ticks it.
		Compile: func(*jsonschema.CompilerContext, map[string]any) (jsonschema.SchemaExt, error) { return m, nil },
	})
	c.AssertVocabs()
	if err := c.AddResource(schemaURL, s.doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(schemaURL)
	if err != nil {
		return nil, err
	}
	return &compiled{sch: sch, meter: m}, nil
}

// emptySchema is the budget vocabulary's metaschema: it adds no keywords.
var emptySchema = func() *jsonschema.Schema {
	c := jsonschema.NewCompiler()
	if err := c.AddResource(budgetVocab, map[string]any{}); err != nil {
		panic(err)
	}
	return c.MustCompile(budgetVocab)
}()

// keptCopies is how many compiled copies a schema keeps for reuse: one
// per CPU (validations in parallel), fewer for large schemas, whose
// copies cost more (about 40 times the text each) than compiling one
// when more validations than copies run at once.
func keptCopies(size int) int {
	return max(1, min(runtime.GOMAXPROCS(0), (256<<10)/max(size, 1)))
}

func (s *Schema) get() (*compiled, error) {
	select {
	case c := <-s.free:
		return c, nil
	default:
		return s.compile() // compiled once already: cannot fail
	}
}

func (s *Schema) put(c *compiled) {
	select {
	case s.free <- c:
	default: // enough copies kept
	}
}

// Raw is the schema as it was set.
func (s *Schema) Raw() []byte { return s.raw }

// Validate checks a JSON value. It returns ErrNotJSON for a value that
// does not parse and ErrBudget when the validation was stopped.
func (s *Schema) Validate(value []byte) (Result, error) {
	// The quick check reads the text itself: a valid value of a common
	// schema is never decoded (json.Valid is a fifth of a decode).
	if s.quick != nil && json.Valid(value) && s.quick.acceptsJSON(bytes.TrimSpace(value)) {
		return Result{}, nil
	}
	v, err := decode(value)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	return s.ValidateValue(v)
}

// ValidateValue checks a value already parsed (numbers as json.Number).
func (s *Schema) ValidateValue(v any) (Result, error) {
	if s.quick != nil && s.quick.accepts(v) {
		return Result{}, nil
	}
	c, err := s.get()
	if err != nil {
		return Result{}, err
	}
	res, err := s.run(c, v)
	if !errors.Is(err, ErrBudget) {
		s.put(c) // a copy stopped mid-way is dropped, in case it kept state
	}
	return res, err
}

func (s *Schema) run(c *compiled, v any) (res Result, err error) {
	c.meter.steps, c.meter.started = 0, time.Now()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stopSignal); !ok {
				panic(r)
			}
			res, err = Result{}, fmt.Errorf("%w (%d steps, %s)", ErrBudget, s.budget.Steps, s.budget.Time)
		}
	}()
	err = c.sch.Validate(v)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		failures(ve, &res)
		return res, nil
	}
	return res, err
}

// trim bounds an error message from the compiler (a metaschema failure
// lists every cause).
func trim(s string) string {
	const limit = 2000
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}
