//go:build race

package routing

// raceBuild: the race detector slows the goroutine switches a deadline
// passes through.
const raceBuild = true
