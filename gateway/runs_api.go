package gateway

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
)

// The run records API: a tenant's runs, a function's runs, one run. Every
// read is scoped to the caller's tenant; the filters and the paging are
// the store's (functions.RunQuery), read here from the query string.

// runList is the answer of both listings. NextCursor is absent on the
// last page.
type runList struct {
	Runs       []functions.Run `json:"runs"`
	NextCursor string          `json:"next_cursor,omitempty"`
}

// listRuns is GET /v1/functions/{id}/runs.
func (g *Gateway) listRuns(c *fiber.Ctx) error {
	q, err := runQuery(c, time.Now())
	if err != nil {
		return err
	}
	q.FunctionID = c.Params("id")
	return g.sendRuns(c, q)
}

// listTenantRuns is GET /v1/runs: every function's, or one's (?function=).
func (g *Gateway) listTenantRuns(c *fiber.Ctx) error {
	q, err := runQuery(c, time.Now())
	if err != nil {
		return err
	}
	q.FunctionID = c.Query("function")
	return g.sendRuns(c, q)
}

func (g *Gateway) sendRuns(c *fiber.Ctx, q functions.RunQuery) error {
	page, err := g.cfg.Store.Runs(c.UserContext(), tenantOf(c), q)
	if err != nil {
		return err
	}
	out := runList{Runs: page.Runs}
	if page.Next != nil {
		out.NextCursor = page.Next.String()
	}
	return c.JSON(out)
}

func (g *Gateway) getRun(c *fiber.Ctx) error {
	if found, err := g.getAsyncRun(c); found || err != nil {
		return err
	}
	run, err := g.cfg.Store.RunByID(c.UserContext(), tenantOf(c), c.Params("requestId"))
	if errors.Is(err, functions.ErrNotFound) {
		return apiError(http.StatusNotFound, "not_found", "no such run (runs are stored a moment after they end)")
	}
	if err != nil {
		return err
	}
	return c.JSON(run)
}

// badParam is the 400 of a query parameter the listing cannot read.
func badParam(name string, err error) error {
	return &APIError{Status: http.StatusBadRequest, Code: "invalid_parameter",
		Message: name + ": " + err.Error(), Details: fiber.Map{"parameter": name}}
}

// runQuery reads the listing's filters: status, trigger, since, until,
// limit and cursor. Times are RFC 3339, or a duration before now ("10m",
// "7d").
func runQuery(c *fiber.Ctx, now time.Time) (functions.RunQuery, error) {
	var q functions.RunQuery
	var err error
	if q.Status, err = functions.ParseRunStatus(c.Query("status")); err != nil {
		return q, badParam("status", err)
	}
	if s := c.Query("trigger"); s != "" {
		if q.Trigger, err = functions.ParseTrigger(s); err != nil {
			return q, badParam("trigger", err)
		}
	}
	if q.Since, err = pointInTime(c.Query("since"), now); err != nil {
		return q, badParam("since", err)
	}
	if q.Until, err = pointInTime(c.Query("until"), now); err != nil {
		return q, badParam("until", err)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return q, badParam("until", errors.New("must be later than since"))
	}
	if s := c.Query("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > functions.MaxRunsLimit {
			return q, badParam("limit", errors.New("must be a number from 1 to 1000"))
		}
		q.Limit = n
	}
	if s := c.Query("cursor"); s != "" {
		if q.After, err = functions.ParseRunCursor(s); err != nil {
			return q, badParam("cursor", err)
		}
	}
	return q, nil
}

// pointInTime reads an RFC 3339 time, or a duration back from now; ""
// is the zero time (no bound).
func pointInTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if strings.ContainsAny(s, "T:") {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("must be an RFC 3339 time (2026-01-02T15:04:05Z) or a duration back from now (10m, 24h, 7d)")
		}
		return t, nil
	}
	d, err := auth.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, errors.New("must be an RFC 3339 time (2026-01-02T15:04:05Z) or a duration back from now (10m, 24h, 7d)")
	}
	return now.Add(-d), nil
}
