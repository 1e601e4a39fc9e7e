package replica_test

import (
	"context"
	"testing"
	"time"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/pgserver"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// testPair is a database on a primary with a streaming replica.
type testPair struct {
	RWURL           string // owner role on the primary, for writes
	ROURL           string // read-only role on the primary
	ReplicaURL      string // read-only role on the replica
	ReplicaAdminURL string // superuser on the replica (pause replay)
	replica         *pgserver.Replica
}

// newTestPair returns a fresh database on the shared pair, or on a pair of
// its own when the test stops the replica.
func newTestPair(t testing.TB, dedicated bool) *testPair {
	t.Helper()
	var p *dbtest.Pair
	if dedicated {
		p = dbtest.NewDedicatedPair(t)
	} else {
		p = dbtest.NewPair(t)
	}
	return &testPair{
		RWURL:           p.URL,
		ROURL:           p.ReadOnlyURL,
		ReplicaURL:      p.ReplicaReadOnlyURL,
		ReplicaAdminURL: p.Replica.URL(pgserver.RoleSuperuser, p.Name),
		replica:         p.Replica,
	}
}

func (p *testPair) stop(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.replica.Stop(ctx); err != nil {
		t.Fatalf("stop replica: %v", err)
	}
}

func (p *testPair) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.replica.Start(ctx); err != nil {
		t.Fatalf("start replica: %v", err)
	}
}
