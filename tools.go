//go:build tools

// Package tools pins the code-generation tools in go.mod, so `go generate`
// uses the same versions on every machine.
package tools

import (
	_ "entgo.io/ent/cmd/ent"
	_ "entgo.io/ent/entc"
	_ "entgo.io/ent/entc/gen"
)
