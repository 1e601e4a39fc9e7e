package seedengine_test

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/seedengine"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func newTestDB(t testing.TB) *dbtest.DB {
	t.Helper()
	return dbtest.New(t)
}

// txDB is a Database over one pool: each outermost transaction runs on a
// dedicated connection (so COPY can use it), nested ones as savepoints.
type txDB struct {
	pool   *sql.DB
	client *ent.Client
	admin  *sql.DB // superuser: counts rows of every tenant (row-level security)
}

func newTxDB(t testing.TB, d *dbtest.DB) *txDB {
	pool := d.OpenDB(t)
	return &txDB{pool: pool, client: ent.NewClient(ent.Driver(entsql.OpenDB(dialect.Postgres, pool))), admin: d.OpenAdminDB(t)}
}

type txState struct {
	conn   *sql.Conn
	client *ent.Client
	sp     int
}

type txKey struct{}

func (d *txDB) WithTx(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		st.sp++
		name := "sp_" + strconv.Itoa(st.sp)
		if _, err := st.client.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
			return err
		}
		if err := fn(ctx); err != nil {
			_, rbErr := st.client.ExecContext(ctx, "ROLLBACK TO SAVEPOINT "+name)
			return errors.Join(err, rbErr)
		}
		_, err := st.client.ExecContext(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	conn, err := d.pool.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	st := &txState{conn: conn, client: ent.NewClient(ent.Driver(entsql.NewDriver(dialect.Postgres, entsql.Conn{ExecQuerier: tx})))}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(context.WithValue(ctx, txKey{}, st)); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func (d *txDB) Writer(ctx context.Context) *ent.Client {
	if st, ok := ctx.Value(txKey{}).(*txState); ok {
		return st.client
	}
	return d.client
}

func (d *txDB) Conn(ctx context.Context) (*sql.Conn, error) { return d.pool.Conn(ctx) }

func (d *txDB) WithTxConn(ctx context.Context, fn func(*pgx.Conn) error) error {
	st, ok := ctx.Value(txKey{}).(*txState)
	if !ok {
		return errors.New("txDB: no transaction in ctx")
	}
	return st.conn.Raw(func(dc any) error { return fn(dc.(*stdlib.Conn).Conn()) })
}

var (
	_ seedengine.Database     = (*txDB)(nil)
	_ seedengine.TxConnLender = (*txDB)(nil)
)

// deps is what test seeds get.
type deps struct{ db *txDB }

// mkTenant is a seed creating a tenant with slug.
func mkTenant(slug string) seedengine.Func[deps] {
	return func(ctx context.Context, d deps) error {
		return d.db.Writer(ctx).Tenant.Create().SetSlug(slug).SetDisplayName(slug).Exec(ctx)
	}
}

// set builds a test seed set: each name gets a file (its content the name
// plus rev, so changing rev changes the hash) and the function in funcs, or
// mkTenant(slug-of-name) when funcs lacks it.
func set(env config.Env, rev string, names []string, funcs map[string]seedengine.Func[deps]) seedengine.Set[deps] {
	files := fstest.MapFS{"doc.go": {Data: []byte("package x")}, "seeds.go": {Data: []byte("package x")}}
	fns := map[string]seedengine.Func[deps]{}
	for _, n := range names {
		files[n+".go"] = &fstest.MapFile{Data: []byte("package x // " + n + rev)}
		if f, ok := funcs[n]; ok {
			fns[n] = f
		} else {
			fns[n] = mkTenant(slugOf(n))
		}
	}
	return seedengine.Set[deps]{Env: env, Sources: files, Funcs: fns}
}

func slugOf(name string) string {
	return strings.Trim(strings.ReplaceAll(strings.ToLower(name), "_", "-"), "-")
}

func newRunner(t testing.TB, db *txDB, env config.Env, s seedengine.Set[deps], opts ...seedengine.Option) *seedengine.Runner[deps] {
	t.Helper()
	r, err := seedengine.New(db, env, s, deps{db}, opts...)
	if err != nil {
		t.Fatalf("seedengine.New: %v", err)
	}
	return r
}

func count(t testing.TB, db *txDB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.admin.QueryRowContext(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func ledgerNames(t testing.TB, db *txDB) []string {
	t.Helper()
	rows, err := db.client.Seed.Query().Order(ent.Asc("name")).All(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.Name)
	}
	return out
}
