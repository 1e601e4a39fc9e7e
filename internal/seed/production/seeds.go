package production

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

// Seeds is the production seed set: every seed file and its function.
func Seeds() seed.AppSet {
	return seed.AppSet{
		Env:     config.Production,
		Sources: sources,
		Funcs: map[string]seed.Func{
			"PROD_0001_base_data": baseData,
		},
	}
}

// Module adds the production set to the app's seed sets (seed.Module picks
// it for APP_ENV production).
var Module = fx.Module("seed.production",
	fx.Provide(fx.Annotate(Seeds, fx.ResultTags(`group:"seed_sets"`))),
)
