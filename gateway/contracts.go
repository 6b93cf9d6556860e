package gateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/contract"
	"github.com/scriptforge/scriptforge/openapi"
)

// contractCache keeps each function's compiled schemas, so a schema is
// compiled once per settings change, not per call. An entry is keyed by
// function ID and holds the schema texts it was compiled from: a lookup
// compares them (the same strings while the lookup cache holds the
// function; equal bytes after it refetched it), and recompiles only when
// the settings changed.
//
// A compiled schema takes about 40 times its text (15 KB for a schema of
// 400 bytes), per copy kept, so the cache is bounded by the schema text
// it holds as well as by count: a tenant's huge schemas evict others
// rather than grow the heap.
type contractCache struct {
	mu       sync.Mutex // guards bytes and the evictions Add makes
	lru      *lru.Cache[string, *compiledContract]
	bytes    int // schema text held
	maxBytes int
	budget   contract.Budget
}

// compiledContract is one function's compiled schemas; nil Schemas where
// the function declares none.
type compiledContract struct {
	in, out       functions.JSONSchema
	input, output *contract.Schema
}

func (c *compiledContract) size() int { return len(c.in) + len(c.out) }

func newContractCache(size, maxBytes int, budget contract.Budget) *contractCache {
	cc := &contractCache{maxBytes: maxBytes, budget: budget}
	cc.lru, _ = lru.NewWithEvict(size, func(_ string, e *compiledContract) { cc.bytes -= e.size() }) // size > 0
	return cc
}

// get returns d's compiled contract, or nil when it declares no schema.
func (cc *contractCache) get(d functions.Deployed) (*compiledContract, error) {
	if d.InputSchema == "" && d.OutputSchema == "" {
		return nil, nil
	}
	if e, ok := cc.lru.Get(d.ID); ok && e.in == d.InputSchema && e.out == d.OutputSchema {
		return e, nil
	}
	e := &compiledContract{in: d.InputSchema, out: d.OutputSchema}
	var err error
	// Schemas were checked when they were set; a failure here is a schema
	// stored by an older gateway with other rules.
	if d.InputSchema != "" {
		if e.input, err = contract.Compile("input_schema", []byte(d.InputSchema), cc.budget); err != nil {
			return nil, err
		}
	}
	if d.OutputSchema != "" {
		if e.output, err = contract.Compile("output_schema", []byte(d.OutputSchema), cc.budget); err != nil {
			return nil, err
		}
	}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.lru.Remove(d.ID) // the old entry's bytes go with it (the callback)
	cc.lru.Add(d.ID, e)
	cc.bytes += e.size()
	for cc.bytes > cc.maxBytes && cc.lru.Len() > 1 {
		cc.lru.RemoveOldest()
	}
	return e, nil
}

// forget drops a function's compiled schemas, purge all of them (under
// mu: the eviction callback keeps bytes).
func (cc *contractCache) forget(functionID string) {
	cc.mu.Lock()
	cc.lru.Remove(functionID)
	cc.mu.Unlock()
}

func (cc *contractCache) purge() {
	cc.mu.Lock()
	cc.lru.Purge()
	cc.mu.Unlock()
}

// failureDetails is error.details of invalid_input and bad_output.
type failureDetails struct {
	Failures []contract.Failure `json:"failures"`
	More     int                `json:"more,omitempty"`
}

// checkInput validates an invocation's data against the function's
// input_schema: a 400 invalid_input listing every failing location.
func (cc *compiledContract) checkInput(data json.RawMessage) error {
	if cc == nil || cc.input == nil {
		return nil
	}
	return check(cc.input, data, http.StatusBadRequest, "invalid_input", "input_too_costly",
		"the request does not match the function's input_schema: ",
		"validating the request against the function's input_schema was stopped at its budget: send a smaller or simpler body")
}

// checkOutput validates a function's JSON result against its
// output_schema: a 500 bad_output that tells the owner what broke (the
// run record keeps the same message). A Response the function built is
// sent as it is: its body is the function's to shape.
func (cc *compiledContract) checkOutput(res *functions.Result) error {
	if cc == nil || cc.output == nil || res == nil || res.Response != nil {
		return nil
	}
	return check(cc.output, res.JSON, http.StatusInternalServerError, "bad_output", "bad_output",
		"the function's result does not match its output_schema: ",
		"validating the function's result against its output_schema was stopped at its budget")
}

// check validates value: a mismatch is code with every failure in its
// details, a validation stopped at its budget is costly.
func check(s *contract.Schema, value []byte, status int, code, costly, mismatch, stopped string) error {
	res, err := s.Validate(value)
	switch {
	case errors.Is(err, contract.ErrBudget):
		return apiError(status, costly, "%s", stopped)
	case err != nil:
		return apiError(status, code, "the value is not JSON: %v", err)
	case !res.OK():
		return &APIError{Status: status, Code: code, Message: mismatch + res.Summary(5),
			Details: failureDetails{res.Failures, res.More}}
	}
	return nil
}

// functionOpenAPI serves GET /v1/fn/{uuid}/openapi.json: the function's
// own OpenAPI document. Whoever may invoke the function may read it (its
// auth, and the limit on the client's address); it starts no run and
// takes nothing from the function's rate or concurrency.
func (g *Gateway) functionOpenAPI(c *fiber.Ctx) error {
	d, err := g.deployedAt(c)
	if err != nil {
		return err
	}
	tenant, _, err := g.admitClient(c, d.Tenant)
	if err != nil {
		return err
	}
	if _, err := g.authorizeInvocation(c, tenant, d); err != nil {
		return err
	}
	doc, err := openapi.ForFunction(openapi.Function{
		UUID: d.UUID, Name: d.Name, Type: string(d.Version.Type), Auth: string(d.Auth),
		ServerURL:   strings.TrimSuffix(g.functionURL(c, ""), "/v1/fn/"),
		InputSchema: json.RawMessage(d.InputSchema), OutputSchema: json.RawMessage(d.OutputSchema),
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(doc)
}
