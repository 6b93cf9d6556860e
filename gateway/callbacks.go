package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/scriptforge/scriptforge/functions/engine"
	"github.com/scriptforge/scriptforge/functions/queue"
)

// Callbacks: a finished async run's outcome is POSTed to the URL its
// caller gave (X-Callback-Url), signed with the tenant's secret:
//
//	X-ScriptForge-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// with the run id (X-ScriptForge-Request-Id) and an Idempotency-Key, the
// same on every retry, so a receiver drops duplicates. A 2xx is delivery;
// anything else is retried with backoff, and when the attempts are spent
// the run is dead. Deliveries are durable: a pending one survives a
// restart.

// callbackClient reaches public addresses only (and the networks allowed
// to fetch, Config.CallbackAllowPrivate), as fetch does: tenants choose
// the URLs. Redirects are not followed.
func callbackClient(timeout time.Duration, cfg *Config) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: engine.AddressGuard(cfg.CallbackAllowPrivate)}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: 10 * time.Second,
			ResponseHeaderTimeout: timeout, MaxIdleConns: 10, IdleConnTimeout: time.Minute,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Sign is the signature header's value for body at t: a receiver
// computes it again with its copy of the secret and compares.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}

// callbackBody is what a callback POSTs: the run as GET /v1/runs/{id}
// shows it.
func callbackBody(r queue.Run) ([]byte, error) {
	r.CallbackState, r.CallbackAttempts = "", 0
	return json.Marshal(asyncRun{Run: r, Trigger: "async"})
}

// deliverCallbacks delivers pending callbacks until ctx ends, one at a
// time; RunAsync starts CallbackWorkers of them.
func (g *Gateway) deliverCallbacks(ctx context.Context, cb queue.Callbacks) {
	client := callbackClient(g.cfg.Async.CallbackTimeout, &g.cfg)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		r, ok, err := cb.ClaimCallback(ctx, time.Now(), g.cfg.Async.CallbackTimeout+10*time.Second)
		if err != nil && ctx.Err() == nil {
			g.log.Error("async: claim callback", slog.Any("error", err))
		}
		if ok {
			g.deliver(context.WithoutCancel(ctx), cb, client, r)
			continue
		}
		t.Reset(g.cfg.Async.Poll)
		select {
		case <-ctx.Done():
			return
		case <-g.async.callbacks:
		case <-t.C:
		}
	}
}

func (g *Gateway) deliver(ctx context.Context, cb queue.Callbacks, client *http.Client, r queue.Run) {
	err := g.post(ctx, cb, client, r)
	now := time.Now()
	if err == nil {
		err = cb.CallbackDelivered(ctx, r.ID, now)
		if err != nil {
			g.log.Error("async: record callback", slog.String("request_id", r.ID), slog.Any("error", err))
		}
		return
	}
	a := &g.cfg.Async
	dead, ferr := cb.CallbackFailed(ctx, r.ID, err.Error(), now, now.Add(a.CallbackBackoff.Delay(r.CallbackAttempts+1)), a.CallbackAttempts)
	switch {
	case ferr != nil:
		g.log.Error("async: record callback", slog.String("request_id", r.ID), slog.Any("error", ferr))
	case dead:
		g.log.Warn("async: callback failed for good: run dead", slog.String("request_id", r.ID), slog.String("error", err.Error()))
	}
}

// post makes one delivery; nil for a 2xx.
func (g *Gateway) post(ctx context.Context, cb queue.Callbacks, client *http.Client, r queue.Run) error {
	secret, err := cb.CallbackSecret(ctx, r.Tenant)
	if err != nil {
		return err
	}
	if secret == "" {
		return fmt.Errorf("the tenant has no callback secret (POST /v1/callback-secret)")
	}
	body, err := callbackBody(r)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.CallbackURL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "ScriptForge-Callback/1")
	req.Header.Set("X-ScriptForge-Request-Id", r.ID)
	req.Header.Set("Idempotency-Key", r.ID)
	req.Header.Set("X-ScriptForge-Signature", Sign(secret, time.Now(), body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // to reuse the connection
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the callback URL answered %d", resp.StatusCode)
	}
	return nil
}

// rotateCallbackSecret is POST /v1/callback-secret: a new signing secret
// for the caller's tenant, shown this once; the old one stops signing at
// once.
func (g *Gateway) rotateCallbackSecret(c *fiber.Ctx) error {
	cb, ok := g.cfg.Queue.(queue.Callbacks)
	if !ok {
		return apiError(http.StatusNotFound, "not_found", "this gateway delivers no callbacks")
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return err
	}
	secret := "whsec_" + hex.EncodeToString(b[:])
	if err := cb.SetCallbackSecret(c.UserContext(), tenantOf(c), secret, time.Now()); err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"secret": secret})
}
