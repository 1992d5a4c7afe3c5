// The tool .ci/modules builds a module proxy with. A module of its own, kept
// out of go.work, so that the workspace (and what `go test work` and
// staticcheck cover) does not depend on golang.org/x/mod.
module modproxy

go 1.25.0

require golang.org/x/mod v0.38.0
