package dbtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/zap"

	"github.com/central/central/internal/pgserver"
)

// Pair is a per-test database on an embedded primary with a streaming hot
// standby replica.
type Pair struct {
	// DB is the test database on the primary.
	*DB
	// ReplicaURL connects to the same database on the replica as the owner
	// role (reads only: it is a standby).
	ReplicaURL string
	// ReplicaReadOnlyURL connects to it on the replica as the read-only role.
	ReplicaReadOnlyURL string
	// Primary and Replica are the servers. Stop the replica only in a pair
	// from NewDedicatedPair.
	Primary *pgserver.Server
	Replica *pgserver.Replica
}

// WaitReplay waits until the replica has replayed the primary's WAL up to lsn.
func (p *Pair) WaitReplay(ctx context.Context, lsn string) error {
	return p.Replica.WaitReplay(ctx, lsn)
}

// Sync waits until the replica has replayed everything committed on the
// primary so far.
func (p *Pair) Sync(ctx context.Context) error {
	lsn, err := p.Primary.CurrentLSN(ctx)
	if err != nil {
		return err
	}
	return p.WaitReplay(ctx, lsn)
}

// NewPair returns a fresh database on the primary of a primary + replica
// pair shared by the test binary, once the replica has it too. Tests using
// it must not stop the replica: use NewDedicatedPair for that. Pairs are
// always embedded, even with TEST_DATABASE_URL set.
func NewPair(t testing.TB, opts ...Option) *Pair {
	t.Helper()
	env, err := shared.pair()
	if err != nil {
		t.Fatal(err)
	}
	return env.newPair(t, opts)
}

// NewDedicatedPair starts a primary + replica pair for t alone (about two
// seconds), stopped when t ends, so t may stop and restart the replica.
func NewDedicatedPair(t testing.TB, opts ...Option) *Pair {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	env, err := startPair(ctx, zap.NewNop(), shared.durable)
	if err != nil {
		t.Fatalf("dbtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.close(context.Background()); err != nil {
			t.Errorf("dbtest: %v", err)
		}
	})
	return env.newPair(t, opts)
}

type pairEnv struct {
	primary *pgserver.Server
	replica *pgserver.Replica
	harness *Harness
	close   func(context.Context) error
}

func startPair(ctx context.Context, logger *zap.Logger, durable bool) (_ *pairEnv, err error) {
	dir, err := newTempDir(durable)
	if err != nil {
		return nil, err
	}
	env := &pairEnv{}
	env.close = func(ctx context.Context) error {
		var errs []error
		if env.harness != nil {
			env.harness.admin.Close()
		}
		if env.replica != nil {
			errs = append(errs, env.replica.Stop(ctx))
		}
		if env.primary != nil {
			errs = append(errs, env.primary.Stop(ctx))
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, fmt.Errorf("remove %s: %w", dir, err))
		}
		return errors.Join(errs...)
	}
	defer func() {
		if err != nil {
			_ = env.close(context.Background())
		}
	}()
	env.primary, err = pgserver.Start(ctx, pgserver.Config{
		DataDir: filepath.Join(dir, "primary"), Ephemeral: true, Logger: logger, Settings: embeddedSettings(durable),
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded primary: %w", err)
	}
	env.replica, err = env.primary.StartReplica(ctx, pgserver.ReplicaConfig{
		DataDir: filepath.Join(dir, "replica"), Settings: embeddedSettings(durable),
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded replica: %w", err)
	}
	env.harness, err = newHarness(ctx, env.primary.URL(pgserver.RoleSuperuser, "postgres"), embeddedURLs{srv: env.primary})
	if err != nil {
		return nil, err
	}
	env.harness.embedded = true
	env.harness.durability.Tmpfs = onTmpfs(dir)
	return env, nil
}

func (env *pairEnv) newPair(t testing.TB, opts []Option) *Pair {
	t.Helper()
	db := env.harness.New(t, opts...)
	p := &Pair{
		DB:                 db,
		ReplicaURL:         env.replica.URL(pgserver.RoleReadWrite, db.Name),
		ReplicaReadOnlyURL: env.replica.URL(pgserver.RoleReadOnly, db.Name),
		Primary:            env.primary,
		Replica:            env.replica,
	}
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if err := p.Sync(ctx); err != nil {
		t.Fatalf("dbtest: wait for the replica to have database %s: %v", db.Name, err)
	}
	return p
}
