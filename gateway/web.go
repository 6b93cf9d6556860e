package gateway

import (
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/web"
)

// serveWeb serves the browser IDE (package web): the page at / and its
// assets at /ide/{asset}, embedded in the binary, under a
// Content-Security-Policy that allows this origin only. The page works
// through the admin API like any client: nothing here is private to it.
func serveWeb(c *fiber.Ctx) error {
	a := web.Page()
	if name := c.Params("asset"); name != "" {
		var ok bool
		if a, ok = web.Get(name); !ok {
			return apiError(http.StatusNotFound, "not_found", "no such asset of the IDE")
		}
	}
	c.Set("Content-Security-Policy", web.CSP)
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderCacheControl, "no-cache") // small, and must follow the binary on upgrade
	c.Set(fiber.HeaderContentType, a.ContentType)
	return c.Send(a.Body)
}
