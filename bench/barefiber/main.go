// Command barefiber is the baseline of bench/gateway.sh: a bare fiber v2
// server with the gateway's invocation route and nothing else (no
// middleware, no lookup, no JavaScript, no run record). It does the same
// minimal request work a trivial function implies: decode the JSON body
// with encoding/json and answer {"ok":true,"n":<n>}.
//
// The ratio gateway/barefiber then says what fraction of the HTTP stack's
// own throughput the gateway keeps on this machine, in this run.
package main

import (
	"encoding/json"
	"flag"
	"log"

	"github.com/gofiber/fiber/v2"
)

// reply mirrors what `export function main(data) { return {ok: true, n: data.n} }` returns.
type reply struct {
	OK bool `json:"ok"`
	N  any  `json:"n"` // any: echo whatever JSON value n was, as the JS does
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8081", "address to listen on")
	flag.Parse()

	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Post("/v1/fn/:uuid", func(c *fiber.Ctx) error {
		var in struct {
			N any `json:"n"`
		}
		if len(c.Body()) > 0 {
			if err := json.Unmarshal(c.Body(), &in); err != nil {
				return c.Status(fiber.StatusBadRequest).JSON(fiber.Map{"code": "invalid_json"})
			}
		}
		out, err := json.Marshal(reply{OK: true, N: in.N})
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(out)
	})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"status": "ok"}) })
	log.Fatal(app.Listen(*addr))
}
