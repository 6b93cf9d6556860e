package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/auth"
	"github.com/scriptforge/scriptforge/functions"
	"github.com/scriptforge/scriptforge/functions/contract"
	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/schedule"
	"github.com/scriptforge/scriptforge/ratelimit"
)

// APIError is an error with the HTTP status and stable code the client sees.
// Handlers return it (or a typed error errorBody maps); one error handler
// writes every error body.
type APIError struct {
	Status  int
	Code    string
	Message string
	SIPCode int
	Details any
	// Challenge is the WWW-Authenticate header of a 401 or 403; a 401
	// without one gets the plain Bearer challenge.
	Challenge string
	// RetryAfter, on a 429 or 503, becomes the Retry-After header; RateLimit
	// the RateLimit-Policy and RateLimit headers of the limit that refused.
	RetryAfter time.Duration
	RateLimit  *ratelimit.Decision
}

func (e *APIError) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

func apiError(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

type errorBody struct {
	Error errorFields `json:"error"`
}

type errorFields struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	SIPCode   int    `json:"sip_code,omitempty"`
	Details   any    `json:"details,omitempty"`
}

// toAPIError maps any error a handler returns to what the client sees.
func toAPIError(err error) *APIError {
	var (
		ae *APIError
		re *functions.RunError
		ve *functions.ValidationError
		ce *engine.CompileError
		fe *fiber.Error
		se *contract.SchemaError
		sc *schedule.Error
	)
	switch {
	case errors.As(err, &ae):
		return ae
	case errors.As(err, &re):
		ae := &APIError{Status: re.Status, Code: re.Code, Message: re.Message, SIPCode: re.SIPCode}
		var retry interface{ RetryAfter() time.Duration } // a quarantined function, a sandbox not back yet
		if errors.As(err, &retry) {
			ae.RetryAfter = retry.RetryAfter()
		}
		return ae
	case errors.As(err, &se):
		return &APIError{Status: http.StatusUnprocessableEntity, Code: "invalid_schema", Message: se.Error(),
			Details: map[string]string{"field": se.Field, "problem": se.Problem}}
	case errors.As(err, &sc):
		return &APIError{Status: http.StatusUnprocessableEntity, Code: "invalid_schedule", Message: sc.Error(),
			Details: map[string]string{"field": sc.Field, "problem": sc.Message}}
	case errors.As(err, &ve):
		return &APIError{Status: http.StatusBadRequest, Code: "invalid_" + fieldCode(ve.Field), Message: ve.Error()}
	case errors.As(err, &ce):
		return &APIError{Status: http.StatusBadRequest, Code: functions.CodeCompile, Message: "source does not compile: " + ce.Error(), Details: ce}
	case errors.Is(err, functions.ErrNotFound):
		return apiError(http.StatusNotFound, "not_found", "no such function")
	case errors.Is(err, functions.ErrNameTaken):
		return apiError(http.StatusConflict, "name_taken", "%v", err)
	case errors.Is(err, functions.ErrNoSuchVersion):
		return apiError(http.StatusNotFound, "version_not_found", "no such version")
	case errors.Is(err, auth.ErrTenantNotFound):
		return apiError(http.StatusNotFound, "tenant_not_found", "no such tenant")
	case errors.Is(err, auth.ErrTenantExists):
		return apiError(http.StatusConflict, "tenant_exists", "%v", auth.ErrTenantExists)
	case errors.Is(err, auth.ErrNoCredentials), errors.Is(err, auth.ErrBadCredentials):
		return apiError(http.StatusUnauthorized, "unauthorized", "%v", err)
	case errors.As(err, &fe):
		return &APIError{Status: fe.Code, Code: statusCode(fe.Code), Message: fe.Message}
	}
	return apiError(http.StatusInternalServerError, "internal", "internal error")
}

func fieldCode(field string) string {
	for i, c := range field {
		if c == '.' {
			return field[:i]
		}
	}
	return field
}

// statusCode names the errors fiber and fasthttp raise before a handler runs.
func statusCode(status int) string {
	switch status {
	case http.StatusNotFound:
		return "not_found"
	case http.StatusMethodNotAllowed:
		return "method_not_allowed"
	case http.StatusRequestEntityTooLarge:
		return "payload_too_large"
	case http.StatusRequestHeaderFieldsTooLarge:
		return "headers_too_large"
	case http.StatusRequestTimeout:
		return "request_timeout"
	case http.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	}
	if status >= 500 {
		return "internal"
	}
	return "bad_request"
}

// errorHandler is fiber's ErrorHandler: the one place error bodies are written.
func (g *Gateway) errorHandler(c *fiber.Ctx, err error) error {
	ae := toAPIError(err)
	rid := requestID(c)
	if ae.Status >= 500 && ae.Code == "internal" {
		g.log.Error("request failed", slog.String("request_id", rid), slog.Any("error", err))
	}
	switch {
	case ae.Challenge != "":
		c.Set(fiber.HeaderWWWAuthenticate, ae.Challenge)
	case ae.Status == http.StatusUnauthorized:
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="scriptforge"`)
	}
	if ae.RateLimit != nil {
		ae.RateLimit.WriteHeaders(c.Set)
	}
	if ae.RetryAfter > 0 {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(ae.RetryAfter.Seconds()))))
	}
	c.Set(fiber.HeaderXRequestID, rid)
	return c.Status(ae.Status).JSON(errorBody{Error: errorFields{
		Code: ae.Code, Message: ae.Message, RequestID: rid, SIPCode: ae.SIPCode, Details: ae.Details,
	}})
}
