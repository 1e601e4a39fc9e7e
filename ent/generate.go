// Package ent is Central's generated data-access layer. Only ent/schema is
// written by hand; regenerate everything else with `go generate ./ent`.
package ent

//go:generate go run entc.go
