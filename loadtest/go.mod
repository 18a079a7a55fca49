// The load test, the soak and the memory-cost study: a module of its own so that their code
// (Linux-only in places) stays out of the server's go.mod, its tests and its image builds.
module github.com/getsmall/getsmall/loadtest

go 1.26.0

require (
	github.com/getsmall/getsmall v0.0.0
	github.com/lesismal/nbio v1.6.8
	github.com/valyala/fasthttp v1.78.0
)

require (
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/lesismal/llib v1.2.2 // indirect
	github.com/molecule-man/go-brrr v1.3.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
)

replace github.com/getsmall/getsmall => ../
