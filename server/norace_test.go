//go:build !race

package server

// raceEnabled: the race detector allocates on its own, so allocation counts mean nothing.
const raceEnabled = false
