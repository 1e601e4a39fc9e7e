//go:build ignore

// entc.go is `go generate ./ent`: it runs internal/entgen.Run, which writes
// the entity ID types declared in ent/schema and then ent's code with
// Central's extension, atomically (see internal/entgen).
package main

import (
	"log"

	"entgo.io/ent/entc/gen"

	"github.com/central/central/internal/entgen"
)

func main() {
	err := entgen.Run(entgen.Options{
		SchemaDir:    "./schema",
		TargetDir:    ".",
		Package:      "github.com/central/central/ent",
		EntityIDFile: "../internal/entityid/entityid_gen.go",
		Config: gen.Config{
			Features: []gen.Feature{
				gen.FeatureVersionedMigration,
				gen.FeatureLock,
				gen.FeatureUpsert,
				gen.FeatureExecQuery,
			},
		},
	})
	if err != nil {
		log.Fatalf("go generate ./ent: %v", err)
	}
}
