package web

import "embed"

// sourceFiles lets the catalog test find the keys the Go code names.
//
//go:embed *.go
var sourceFiles embed.FS
