//go:build race

package engine

// raceOn: the race detector slows memory copies tenfold; cases that must
// reach a limit other than time get more time under it.
const raceOn = true
