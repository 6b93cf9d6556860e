package gateway

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/openapi/docs"
)

// serveDocs serves the API reference page (/docs) and its assets
// (/docs/docs.js, /docs/docs.css), embedded in the binary, each under a
// Content-Security-Policy that allows this origin only: the page cannot
// load or send anything elsewhere, and runs no inline script.
func serveDocs(c *fiber.Ctx) error {
	a := docs.Page()
	if name := c.Params("asset"); name != "" {
		var ok bool
		if a, ok = docs.Get(name); !ok || name == "index.html" {
			return apiError(http.StatusNotFound, "not_found", "no such asset of the reference page")
		}
	}
	c.Set("Content-Security-Policy", docs.CSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderCacheControl, "no-cache") // small, and must follow the binary on upgrade
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Body)
}
