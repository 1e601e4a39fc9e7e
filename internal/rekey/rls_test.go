package rekey_test

import (
	"context"
	"fmt"
	"io"
	"testing"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/db"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/rekey"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
)

// batchSpy is the job's store; after every batch it asks, on the batch's
// own connection and with a query that names no tenant, how many tenants'
// users the batch could see.
type batchSpy struct {
	*db.DB
	batches int
	maxSeen int
}

func (s *batchSpy) WithTx(ctx context.Context, fn func(ctx context.Context) error, opts ...db.TxOption) error {
	return s.DB.WithTx(ctx, func(ctx context.Context) error {
		if err := fn(ctx); err != nil {
			return err
		}
		var n int
		if err := s.DB.WithTxConn(ctx, func(conn *pgx.Conn) error {
			return conn.QueryRow(ctx, "SELECT count(DISTINCT tenant_id) FROM users").Scan(&n)
		}); err != nil {
			return err
		}
		s.batches++
		s.maxSeen = max(s.maxSeen, n)
		return nil
	}, opts...)
}

// TestRekeyUnderRowSecurity: `app db rekey` runs as the app's role, under
// the policies, tenant by tenant: it re-encrypts the values of every tenant,
// and each of its batches sees the rows of one tenant only.
//
// Deliberate bugs it catches: the job run without a tenant in the context
// (row-level security then hides every row: nothing is rekeyed), and row
// security missing on users (a batch would see both tenants).
func TestRekeyUnderRowSecurity(t *testing.T) {
	e := newEnv(t) // tenant "rekey": nUsers users and nConnectors connectors under key1
	ctx := ctxT(t)
	svc, err := service.NewServices(zaptest.NewLogger(t), e.db, keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: material(1)}))
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "other", DisplayName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		in := service.CreateUserInput{Email: fmt.Sprintf("o%d@other.example", i), IdPUserInfo: &jsonb.IdPUserInfo{Subject: "s"}}
		if _, err := svc.Users.TxCreateUser(ctx, other.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	spy := &batchSpy{DB: e.db}
	j, err := rekey.New(zaptest.NewLogger(t), spy, keyring(t, key2, rotated))
	if err != nil {
		t.Fatal(err)
	}
	st, err := j.Rekey(ctx, io.Discard, 10)
	if err != nil {
		t.Fatal(err)
	}
	if st.Rekeyed() != nUsers+3+nConnectors {
		t.Errorf("rekeyed %d values, want %d (both tenants)", st.Rekeyed(), nUsers+3+nConnectors)
	}
	if got := e.keyCounts(t); got["local:1"] != 0 {
		t.Errorf("values left under key1: %v", got)
	}
	if spy.batches == 0 || spy.maxSeen != 1 {
		t.Errorf("%d batches; the widest saw users of %d tenants, want 1", spy.batches, spy.maxSeen)
	}
}
