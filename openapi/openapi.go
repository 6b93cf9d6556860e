// Package openapi serves the OpenAPI 3.1 description of the ScriptForge
// gateway's HTTP API: the ops endpoints (health, readiness, metrics), function
// invocation under /v1/fn, and the admin API for deploying and managing
// functions, their versions and their runs.
//
// The document lives beside this file as openapi.json and is embedded in the
// binary, so serving it costs nothing beyond writing the bytes. Edit the JSON
// when the API changes; the package tests check that it stays a valid
// OpenAPI 3.1 document that covers every route.
package openapi

import _ "embed"

//go:embed openapi.json
var spec []byte

// Spec returns the OpenAPI 3.1.0 document as JSON. It returns the same
// embedded bytes on every call without copying them: callers must not modify
// the slice. Its capacity is clipped, so appending to it copies.
func Spec() []byte { return spec[:len(spec):len(spec)] }
