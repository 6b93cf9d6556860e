package gateway

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/web/site"
)

// servePage serves one of the gateway's own pages, embedded in the
// binary: the page at its path and its assets at …/{asset}, each under
// the page's Content-Security-Policy, which allows this origin only: a
// page cannot load or send anything elsewhere, run inline script, or be
// framed. The browser IDE (package web, at / and /ide/{asset}) and the
// API reference (openapi/docs, at /docs and /docs/{asset}) work through
// the public API like any client: nothing here is private to them.
func servePage(s site.Site, what string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		a := s.Page()
		if name := c.Params("asset"); name != "" {
			var ok bool
			if a, ok = s.Get(name); !ok {
				return apiError(http.StatusNotFound, "not_found", "no such asset of the %s", what)
			}
		}
		c.Set("Content-Security-Policy", s.CSP)
		c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set(fiber.HeaderXFrameOptions, "DENY")
		c.Set(fiber.HeaderCacheControl, "no-cache") // small, and must follow the binary on upgrade
		c.Set(fiber.HeaderContentType, a.ContentType)
		return c.Send(a.Body)
	}
}
