package rekey_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5/pgtype"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/rekey"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/service"
	"github.com/central/central/internal/tenantctx"
)

const nOther = 3 // users with idp_user_info in the second tenant

// addTenant creates a second tenant with nOther users holding sealed values
// (under key1, through the services) and returns its ID.
func (e *env) addTenant(t *testing.T) entityid.TenantID {
	t.Helper()
	ctx := ctxT(t)
	svc, err := service.NewServices(zaptest.NewLogger(t), e.db, keyring(t, key1, map[sensitive.KeyRef][32]byte{key1: material(1)}))
	if err != nil {
		t.Fatal(err)
	}
	other, err := svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "other", DisplayName: "Other"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range nOther {
		in := service.CreateUserInput{Email: fmt.Sprintf("o%d@other.example", i), IdPUserInfo: &jsonb.IdPUserInfo{Subject: fmt.Sprintf("other-%d", i)}}
		if _, err := svc.Users.TxCreateUser(ctx, other.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	return other.ID
}

// owners maps every sealed row's ID to its tenant (UUID text), read as the
// superuser; the tenant column comes from the registry's entities.
func (e *env) owners(t testing.TB) map[string]string {
	t.Helper()
	tenantCol := map[string]string{}
	for _, en := range entities {
		tenantCol[en.Name] = en.TenantColumn
	}
	out := map[string]string{}
	for _, c := range registry {
		rows, err := e.raw.QueryContext(ctxT(t), fmt.Sprintf("SELECT %s::text, %s::text FROM %s",
			ident(c.IDColumn), ident(tenantCol[c.Entity]), ident(c.Table)))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id, tenant string
			if err := rows.Scan(&id, &tenant); err != nil {
				t.Fatal(err)
			}
			out[id] = tenant
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// usersColumn is users.idp_user_info, the column addTenant fills in the
// second tenant.
func usersColumn(t testing.TB) entmeta.SealedColumn {
	t.Helper()
	for _, c := range registry {
		if c.Entity == "User" {
			return c
		}
	}
	t.Fatal("no sealed column of User in the registry")
	return entmeta.SealedColumn{}
}

// tenantSpy is the job's connection. Before each batch's UPDATE it checks
// that the statement's context carries a tenant and that every row the
// batch writes belongs to that tenant.
type tenantSpy struct {
	rekey.Conn
	owner map[string]string

	mu         sync.Mutex
	updates    int
	tenants    map[string]bool
	violations []string
}

func (s *tenantSpy) Query(ctx context.Context, q string, args, v any) error {
	if strings.HasPrefix(q, "UPDATE") {
		s.check(ctx, args)
	}
	return s.Conn.Query(ctx, q, args, v)
}

func (s *tenantSpy) check(ctx context.Context, args any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.updates++
	tid, ok := tenantctx.From(ctx)
	if !ok {
		s.violations = append(s.violations, "an UPDATE ran without a tenant in its context")
		return
	}
	s.tenants[tid.String()] = true
	ids, _ := args.([]any)[0].([]pgtype.UUID)
	for _, id := range ids {
		if got := s.owner[uuidString(id)]; got != tid.String() {
			s.violations = append(s.violations, fmt.Sprintf("tenant %s's batch writes row %s of tenant %s", tid, uuidString(id), got))
		}
	}
}

func uuidString(u pgtype.UUID) string {
	v, _ := u.Value()
	s, _ := v.(string)
	return s
}

// TestRekeyUnderRowSecurity: `app db rekey` re-encrypts the values of every
// tenant while running as the app's role, which row-level security (FORCE)
// confines to the tenant set on each statement, and no batch of one tenant
// writes another tenant's row — also as a role that bypasses the policies
// (the superuser), where only the job's own tenant predicate keeps batches
// apart.
//
// Deliberate bugs it catches: the batches run without the tenant in their
// context (as the app's role every tenant-owned row is then hidden: 0 values
// rekeyed); a batch run under the wrong tenant (that tenant's values stay
// under key1); the tenant predicate
// missing from the statements (as the superuser, the first tenant's batch
// writes the other tenant's rows).
func TestRekeyUnderRowSecurity(t *testing.T) {
	e := newEnv(t)
	other := e.addTenant(t)
	for _, tt := range []struct {
		name, role string
		url        func() string
	}{
		{"app role", "central", func() string { return e.tdb.URL }},
		{"superuser", "superuser", func() string { return e.tdb.AdminURL }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := e.db
			if tt.role != "central" {
				var err error
				d, err = db.Open(ctxT(t), config.Postgres{
					ReadWrite: config.Conn{URL: config.Secret(tt.url()), PoolSize: 4},
					ReadOnly:  config.Conn{URL: config.Secret(e.tdb.ReadOnlyURL), PoolSize: 2},
				}, zaptest.NewLogger(t).Named("db"))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = d.Stop(context.Background()) })
			} else {
				// The premise: as the app's role, with no tenant set, the
				// policies hide every user.
				var rs entsql.Rows
				if err := d.Driver().Query(ctxT(t), "SELECT count(*) FROM users", []any{}, &rs); err != nil {
					t.Fatal(err)
				}
				var n int
				for rs.Next() {
					if err := rs.Scan(&n); err != nil {
						t.Fatal(err)
					}
				}
				rs.Close()
				if n != 0 {
					t.Fatalf("the app's role sees %d users without a tenant: row-level security is off", n)
				}
			}
			// Start each case from key1 everywhere: the job moves to key2,
			// then (second case) back to key1.
			from, to := key1, key2
			if tt.role != "central" {
				from, to = key2, key1
			}
			spy := &tenantSpy{Conn: d.Driver(), owner: e.owners(t), tenants: map[string]bool{}}
			kr := keyring(t, to, rotated)
			j, err := rekey.New(zaptest.NewLogger(t), spy, kr, registry, entities)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			st, err := j.Rekey(ctxT(t), &out, 2)
			if err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			want := total() + nOther
			if st.Rekeyed() != want {
				t.Errorf("rekeyed %d values, want %d (both tenants)\n%s", st.Rekeyed(), want, out.String())
			}
			if got := e.keyCounts(t); got[from.String()] != 0 || got[to.String()] != want {
				t.Errorf("after rekey: %v, want all %d under %s", got, want, to)
			}
			if us := statsOf(t, st, usersColumn(t)); us.Tenants != 2 {
				t.Errorf("users stats = %+v, want 2 tenants", us)
			}
			if len(spy.violations) > 0 {
				t.Errorf("%d batches crossed tenants:\n%s", len(spy.violations), strings.Join(spy.violations, "\n"))
			}
			if spy.updates == 0 || len(spy.tenants) != 2 || !spy.tenants[tenantctx.ID(other).String()] || !spy.tenants[tenantctx.ID(e.tenant).String()] {
				t.Errorf("%d UPDATEs under tenants %v, want both tenants", spy.updates, spy.tenants)
			}
		})
	}
}

// TestRekeyRefusesCopiedVersion1AcrossTenants: a version 1 value copied
// from one tenant's row into another tenant's row is refused like a copy
// within a tenant, although no tenant's scope sees both rows.
//
// Deliberate bugs it catches: looking for copies tenant by tenant only (the
// copy would then be bound to the other tenant's row, which could read the
// first tenant's secret); the count miscounting version 1 values
// (FILTER ... ->>'v' = '2'), which skips the look for copies.
func TestRekeyRefusesCopiedVersion1AcrossTenants(t *testing.T) {
	e := newEnv(t)
	other := e.addTenant(t)
	e.toV1(t)
	c := usersColumn(t)
	owner := e.owners(t)
	vals := e.values(t, c)
	var mine, theirs string
	for id := range vals {
		switch owner[id] {
		case tenantctx.ID(e.tenant).String():
			mine = id
		case tenantctx.ID(other).String():
			theirs = id
		}
	}
	if mine == "" || theirs == "" {
		t.Fatalf("no %s value in both tenants", c)
	}
	e.set(t, c, theirs, vals[mine])
	before := e.values(t, c)
	_, err := newJob(t, e, keyring(t, key2, rotated)).Rekey(ctxT(t), io.Discard, 10)
	var ce *rekey.CopiedValuesError
	if !errors.As(err, &ce) || ce.Column != c || ce.Groups != 1 || ce.Rows != 2 {
		t.Fatalf("err = %v, want a CopiedValuesError for 1 value in 2 rows of %s", err, c)
	}
	if got := strings.Join(ce.Sample, ","); !strings.Contains(got, mine) || !strings.Contains(got, theirs) {
		t.Errorf("sample %v does not name rows %s and %s", ce.Sample, mine, theirs)
	}
	if !reflect.DeepEqual(e.values(t, c), before) {
		t.Fatalf("a refused run changed values of %s", c)
	}
}

// TestRekeyStatementsCarryTheTenant: the job's reads go through the
// dialect-level Query (the tenant reaches the statement); run through a
// connection whose Query drops the context's tenant — what database/sql's
// QueryContext did — it sees nothing to rekey under row-level security.
// This is the failure TestRekeyUnderRowSecurity guards against, shown
// directly.
func TestRekeyStatementsCarryTheTenant(t *testing.T) {
	e := newEnv(t)
	j, err := rekey.New(zaptest.NewLogger(t), dropTenant{e.db.Driver()}, keyring(t, key2, rotated), registry, entities)
	if err != nil {
		t.Fatal(err)
	}
	st, err := j.Rekey(ctxT(t), io.Discard, 10)
	if err != nil || st.Rekeyed() != 0 {
		t.Fatalf("without the tenant: rekeyed %d, %v; want 0 (row-level security hides every row)", st.Rekeyed(), err)
	}
	if got := e.keyCounts(t); got[key1.String()] != total() {
		t.Fatalf("values changed without a tenant: %v", got)
	}
}

// dropTenant runs every statement without the context's tenant.
type dropTenant struct{ rekey.Conn }

func (d dropTenant) Query(_ context.Context, q string, args, v any) error {
	return d.Conn.Query(context.Background(), q, args, v)
}
