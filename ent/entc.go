//go:build ignore

// entc.go runs ent's code generator with Central's extension
// (internal/entgen). It is invoked by `go generate ./ent`.
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"

	"github.com/central/central/internal/entgen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeatureVersionedMigration,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
		},
	}, entc.Extensions(entgen.New()))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
