package keyring

import (
	"context"
	"errors"
	"strings"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/internal/sensitive"
)

// Module provides the *sensitive.Keyring opened from a [Spec] in the graph
// (the application parses it from configuration with [ParseSpec]). Every key
// is checked with a probe round trip at start-up, and the keyring is closed
// at stop. Optional []Option values in the graph are passed to [Open].
var Module = fx.Module("sensitive",
	fx.Provide(NewLifecycle),
)

// Params are the dependencies of [NewLifecycle].
type Params struct {
	fx.In

	Lifecycle fx.Lifecycle
	Logger    *zap.Logger
	Spec      Spec
	Options   []Option `optional:"true"`
}

// NewLifecycle opens the keyring of p.Spec and registers its start-up check
// and close with p.Lifecycle.
func NewLifecycle(p Params) (*sensitive.Keyring, error) {
	if p.Lifecycle == nil || p.Logger == nil {
		return nil, errors.New("keyring: NewLifecycle needs a lifecycle and a logger")
	}
	// Opening contacts no key service (Check does, at start), so the
	// constructor needs no caller context.
	kr, err := Open(context.Background(), p.Spec, p.Options...)
	if err != nil {
		return nil, err
	}
	log := p.Logger.Named("sensitive")
	p.Lifecycle.Append(fx.Hook{
		OnStart: func(ctx context.Context) error {
			if err := kr.Check(ctx); err != nil {
				return err
			}
			refs := kr.Keys()
			names := make([]string, len(refs))
			for i, r := range refs {
				names[i] = r.String()
			}
			log.Info("keyring ready", zap.Stringer("current", kr.Current()), zap.String("keys", strings.Join(names, ",")))
			return nil
		},
		OnStop: func(context.Context) error { return kr.Close() },
	})
	return kr, nil
}
