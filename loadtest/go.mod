// The load test, the soak and the memory-cost study: a module of its own so that their code
// (Linux-only in places) stays out of the server's go.mod, its tests and its image builds.
module github.com/getsmall/getsmall/loadtest

go 1.26.0

require github.com/getsmall/getsmall v0.0.0

replace github.com/getsmall/getsmall => ../
