//go:build race

package gateway_test

// raceBuild: the race detector's shadow memory takes address space inside
// the sandboxes' cap, so a large allocation can end a sandbox there.
const raceBuild = true
