package seedengine_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/central/central/ent"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/seedengine"
	"github.com/central/central/internal/tenantctx"
)

// bulkUsers is a seed creating a tenant and COPYing n users into it,
// reporting progress as it goes; fail makes it fail after the copy.
func bulkUsers(slug string, n int, fail bool) seedengine.Func[deps] {
	return func(ctx context.Context, d deps) error {
		tid := entityid.NewTenantID()
		if err := d.db.Writer(ctx).Tenant.Create().SetID(tid).SetSlug(slug).SetDisplayName(slug).Exec(ctx); err != nil {
			return err
		}
		tenant := tid.UUID()
		p := seedengine.Progress(ctx)
		i := 0
		src := pgx.CopyFromFunc(func() ([]any, error) {
			if i == n {
				return nil, nil
			}
			i++
			p.Count("rows", int64(i), int64(n))
			return []any{entityid.NewUserID().UUID(), tenant, fmt.Sprintf("user%d@%s.example", i, slug), "Bulk User"}, nil
		})
		// Row-level security: users are copied as rows of their tenant.
		copied, err := seedengine.CopyFrom(tenantctx.With(ctx, tid), pgx.Identifier{"users"}, []string{"id", "tenant_id", "email", "display_name"}, src)
		if err != nil {
			return err
		}
		if copied != int64(n) {
			return fmt.Errorf("copied %d rows, want %d", copied, n)
		}
		if fail {
			return errors.New("failing after the copy")
		}
		return nil
	}
}

func TestCopyFrom(t *testing.T) {
	ctx := context.Background()
	db := newTxDB(t, newTestDB(t))
	var out bytes.Buffer
	clock := time.Unix(0, 0)
	now := func() time.Time { clock = clock.Add(time.Millisecond); return clock }

	s := set(config.Development, "", []string{"0001_bulk"}, map[string]seedengine.Func[deps]{"0001_bulk": bulkUsers("bulk", 5000, false)})
	r := newRunner(t, db, config.Development, s, seedengine.WithProgress(&out), seedengine.WithClock(now), seedengine.WithProgressInterval(time.Second))
	if _, err := r.Run(ctx, seedengine.RunOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM users`); n != 5000 {
		t.Errorf("users = %d, want 5000", n)
	}
	// 1ms per clock read, 1s interval: a line every ~1000 rows and one at the end.
	lines := strings.Count(out.String(), " rows (")
	if lines < 3 || lines > 10 || !strings.Contains(out.String(), "seed 0001_bulk: 5000/5000 rows (100%)") {
		t.Errorf("progress has %d count lines, want a few and the final one:\n%s", lines, out.String())
	}

	t.Run("rolled back with its seed", func(t *testing.T) {
		s := set(config.Development, "", []string{"0001_bulk", "0002_fails"}, map[string]seedengine.Func[deps]{
			"0001_bulk": bulkUsers("bulk", 5000, false), "0002_fails": bulkUsers("fails", 1000, true)})
		_, err := newRunner(t, db, config.Development, s).Run(ctx, seedengine.RunOptions{})
		var se *seedengine.SeedError
		if !errors.As(err, &se) || se.Name != "0002_fails" || !strings.Contains(err.Error(), "failing after the copy") {
			t.Fatalf("Run error = %v, want 0002_fails' failure", err)
		}
		if n := count(t, db, `SELECT count(*) FROM users`); n != 5000 {
			t.Errorf("users = %d, want the first seed's 5000 only", n)
		}
	})

	t.Run("outside a seed", func(t *testing.T) {
		_, err := seedengine.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"id"}, pgx.CopyFromRows(nil))
		if !errors.Is(err, seedengine.ErrNotInSeed) {
			t.Errorf("CopyFrom outside a seed: %v, want ErrNotInSeed", err)
		}
	})

	t.Run("database that cannot lend its connection", func(t *testing.T) {
		s := set(config.Development, "", []string{"0003_bulk"}, map[string]seedengine.Func[deps]{"0003_bulk": bulkUsers("nolend", 10, false)})
		r, err := seedengine.New(noLend{db}, config.Development, s, deps{db})
		if err != nil {
			t.Fatal(err)
		}
		_, err = r.Run(ctx, seedengine.RunOptions{})
		if !errors.Is(err, seedengine.ErrCopyUnsupported) {
			t.Errorf("Run error = %v, want ErrCopyUnsupported", err)
		}
	})
}

// noLend hides txDB's WithTxConn.
type noLend struct{ d *txDB }

func (n noLend) WithTx(ctx context.Context, fn func(context.Context) error) error {
	return n.d.WithTx(ctx, fn)
}
func (n noLend) Writer(ctx context.Context) *ent.Client      { return n.d.Writer(ctx) }
func (n noLend) Conn(ctx context.Context) (*sql.Conn, error) { return n.d.Conn(ctx) }
