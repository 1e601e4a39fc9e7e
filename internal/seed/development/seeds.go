package development

import (
	"embed"

	"go.uber.org/fx"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seed"
)

// sources are this package's files; the runner hashes each seed's file.
//
//go:embed *.go
var sources embed.FS

// Seeds is the development seed set: every seed file and its function.
func Seeds() seed.AppSet {
	return seed.AppSet{
		Env:     config.Development,
		Sources: sources,
		Funcs: map[string]seed.Func{
			"0001_technova": technova,
		},
	}
}

// Module adds the development set to the app's seed sets (seed.Module picks
// it for APP_ENV development and test).
var Module = fx.Module("seed.development",
	fx.Provide(fx.Annotate(Seeds, fx.ResultTags(`group:"seed_sets"`))),
)
