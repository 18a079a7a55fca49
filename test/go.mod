// The end-to-end tests: every platform's binary under qemu-user, every image built, run
// hardened, pushed and pulled, the docs' links and targets, and the fork path. A module of
// its own so that none of it is in the server's go.mod or its `make test`.
module github.com/getsmall/getsmall/test

go 1.26.0

require (
	github.com/getsmall/getsmall v0.0.0
	github.com/prometheus/client_model v0.6.3
	github.com/prometheus/common v0.74.0
)

require (
	github.com/fasthttp/router v1.5.4 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/molecule-man/go-brrr v1.3.1 // indirect
	github.com/munnerz/goautoneg v0.0.0-20191010083416-a7dc8b61c822 // indirect
	github.com/pandatix/go-abnf v0.5.5 // indirect
	github.com/savsgio/gotils v0.0.0-20240704082632-aef3928b8a38 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasthttp v1.78.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

replace github.com/getsmall/getsmall => ../
