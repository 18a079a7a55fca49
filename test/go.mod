// The end-to-end tests: every platform's binary under qemu-user, every image built, run
// hardened, pushed and pulled, the docs' links and targets, and the fork path. A module of
// its own so that none of it is in the server's go.mod or its `make test`.
module github.com/getsmall/getsmall/test

go 1.26.0

require github.com/getsmall/getsmall v0.0.0

replace github.com/getsmall/getsmall => ../
