package rekey

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/sqljson"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/ent/oidcconnector"
	"github.com/central/central/ent/tenant"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/tenantctx"
)

// Store is what the job needs from the database; *db.DB satisfies it.
type Store interface {
	Writer(ctx context.Context) *ent.Client
	WithTx(ctx context.Context, fn func(ctx context.Context) error, opts ...db.TxOption) error
}

var _ Store = (*db.DB)(nil)

// DefaultBatchSize is used when Rekey is given a batch size of 0.
const DefaultBatchSize = 500

// MaxBatchSize bounds one batch (one transaction holding row locks).
const MaxBatchSize = 10000

// ErrInvalidBatchSize is returned for a batch size outside 0..MaxBatchSize.
var ErrInvalidBatchSize = errors.New("rekey: invalid batch size")

// Column names one sealed column the job re-encrypts.
type Column struct {
	Table  string // "users"
	Column string // "idp_user_info"
}

func (c Column) String() string { return c.Table + "." + c.Column }

// ColumnStats counts what the job did to one column.
type ColumnStats struct {
	Column
	Pending int // values not under the current key when the column started
	Rekeyed int // values re-encrypted under the current key
	Batches int // transactions committed
}

// Stats is the outcome of a run. Columns are in processing order.
type Stats struct {
	Current  sensitive.KeyRef
	Columns  []ColumnStats
	Duration time.Duration
}

// Rekeyed is the total re-encrypted over every column.
func (s Stats) Rekeyed() int {
	n := 0
	for _, c := range s.Columns {
		n += c.Rekeyed
	}
	return n
}

// Job re-encrypts every sealed value under the keyring's current key.
type Job struct {
	log   *zap.Logger
	store Store
	keys  *sensitive.Keyring
	now   func() time.Time
}

// New returns the rekey job. Its logger is named "rekey".
func New(logger *zap.Logger, store Store, keys *sensitive.Keyring) (*Job, error) {
	switch {
	case logger == nil:
		return nil, errors.New("rekey: logger is nil; pass a *zap.Logger (zap.NewNop() to discard)")
	case store == nil:
		return nil, errors.New("rekey: store is nil; pass the *db.DB")
	case keys == nil:
		return nil, errors.New("rekey: keyring is nil; pass the *sensitive.Keyring built from configuration")
	}
	return &Job{log: logger.Named("rekey").With(zap.String("component", "rekey")), store: store, keys: keys, now: time.Now}, nil
}

// Module provides *Job from the application's logger, *db.DB and keyring.
var Module = fx.Module("rekey", fx.Provide(func(logger *zap.Logger, d *db.DB, keys *sensitive.Keyring) (*Job, error) {
	return New(logger, d, keys)
}))

// Rekey re-encrypts, under the keyring's current key, every value of
// users.idp_user_info and oidc_connectors.state sealed under another key.
// It walks each table by primary key in batches of batchSize rows (0:
// DefaultBatchSize) that need rekeying, each batch in its own transaction
// with the rows locked (FOR UPDATE); updated_at is left as it was. Progress
// goes to w, one line per batch.
//
// It is resumable: values already under the current key are not selected,
// so a run interrupted (ctx cancelled, crash) keeps the batches it
// committed and the next run picks up the rest. A value that cannot be
// opened (key missing from the keyring, wrong key, tampered) stops the run
// with an error naming the row; that batch is rolled back and nothing in it
// changes. NULL values and values that are not envelopes are skipped.
func (j *Job) Rekey(ctx context.Context, w io.Writer, batchSize int) (Stats, error) {
	if batchSize == 0 {
		batchSize = DefaultBatchSize
	}
	if batchSize < 0 || batchSize > MaxBatchSize {
		return Stats{}, fmt.Errorf("%w: %d; pass 1 to %d (0 for %d)", ErrInvalidBatchSize, batchSize, MaxBatchSize, DefaultBatchSize)
	}
	if w == nil {
		w = io.Discard
	}
	start := j.now()
	st := Stats{Current: j.keys.Current()}
	fmt.Fprintf(w, "rekey: sealing under key %s, batches of %d\n", st.Current, batchSize)
	for _, run := range []func() (ColumnStats, error){
		func() (ColumnStats, error) { return runColumn(ctx, j, w, j.users(), batchSize) },
		func() (ColumnStats, error) { return runColumn(ctx, j, w, j.connectors(), batchSize) },
	} {
		cs, err := run()
		st.Columns = append(st.Columns, cs)
		if err != nil {
			st.Duration = j.now().Sub(start)
			fmt.Fprintf(w, "rekey: %s: stopped after %d of %d: %v\n", cs.Column, cs.Rekeyed, cs.Pending, err)
			return st, fmt.Errorf("rekey %s: %w", cs.Column, err)
		}
	}
	st.Duration = j.now().Sub(start)
	fmt.Fprintf(w, "rekey: done: %d values re-encrypted in %s\n", st.Rekeyed(), st.Duration.Round(time.Millisecond))
	j.log.Info("rekey finished", zap.Stringer("current", st.Current), zap.Int("rekeyed", st.Rekeyed()), zap.Duration("duration", st.Duration))
	return st, nil
}

// sealedRow is one row's sealed value with what the update must keep.
type sealedRow[ID any, T any] struct {
	id        ID
	value     sensitive.Sealed[T]
	updatedAt time.Time
}

// column is one sealed column: how to count the values to rekey, load the
// next batch of them after a cursor (nil: from the start), and store a
// re-encrypted value.
type column[ID any, T any] struct {
	col   Column
	count func(ctx context.Context, c *ent.Client) (int, error)
	load  func(ctx context.Context, c *ent.Client, after *ID, n int) ([]sealedRow[ID, T], error)
	save  func(ctx context.Context, c *ent.Client, r sealedRow[ID, T], v sensitive.Sealed[T]) error
}

// notCurrent selects rows whose envelope names a key other than cur. A
// NULL column or a value without kid/kver (not an envelope) is not selected.
func notCurrent(column string, cur sensitive.KeyRef) func(*entsql.Selector) {
	return func(s *entsql.Selector) {
		c := s.C(column)
		s.Where(entsql.Not(entsql.And(
			sqljson.ValueEQ(c, cur.ID, sqljson.Path("kid")),
			sqljson.ValueEQ(c, cur.Version, sqljson.Path("kver")),
		)))
	}
}

func (j *Job) users() column[entityid.UserID, jsonb.IdPUserInfo] {
	pred := notCurrent(user.FieldIdpUserInfo, j.keys.Current())
	return column[entityid.UserID, jsonb.IdPUserInfo]{
		col: Column{Table: user.Table, Column: user.FieldIdpUserInfo},
		count: func(ctx context.Context, c *ent.Client) (int, error) {
			return c.User.Query().Where(user.IdpUserInfoNotNil(), pred).Count(ctx)
		},
		load: func(ctx context.Context, c *ent.Client, after *entityid.UserID, n int) ([]sealedRow[entityid.UserID, jsonb.IdPUserInfo], error) {
			q := c.User.Query().Where(user.IdpUserInfoNotNil(), pred)
			if after != nil {
				q.Where(user.IDGT(*after))
			}
			rows, err := q.Order(ent.Asc(user.FieldID)).Limit(n).ForUpdate().
				Select(user.FieldID, user.FieldIdpUserInfo, user.FieldUpdatedAt).All(ctx)
			out := make([]sealedRow[entityid.UserID, jsonb.IdPUserInfo], len(rows))
			for i, r := range rows {
				out[i] = sealedRow[entityid.UserID, jsonb.IdPUserInfo]{id: r.ID, value: r.IdpUserInfo.Sealed, updatedAt: r.UpdatedAt}
			}
			return out, err
		},
		save: func(ctx context.Context, c *ent.Client, r sealedRow[entityid.UserID, jsonb.IdPUserInfo], v sensitive.Sealed[jsonb.IdPUserInfo]) error {
			return c.User.UpdateOneID(r.id).
				SetIdpUserInfo(jsonb.SealedIdPUserInfo{Sealed: v}).
				SetUpdatedAt(r.updatedAt).
				Exec(ctx)
		},
	}
}

func (j *Job) connectors() column[entityid.OIDCConnectorID, jsonb.OIDCConnectorState] {
	pred := notCurrent(oidcconnector.FieldState, j.keys.Current())
	return column[entityid.OIDCConnectorID, jsonb.OIDCConnectorState]{
		col: Column{Table: oidcconnector.Table, Column: oidcconnector.FieldState},
		count: func(ctx context.Context, c *ent.Client) (int, error) {
			return c.OIDCConnector.Query().Where(pred).Count(ctx)
		},
		load: func(ctx context.Context, c *ent.Client, after *entityid.OIDCConnectorID, n int) ([]sealedRow[entityid.OIDCConnectorID, jsonb.OIDCConnectorState], error) {
			q := c.OIDCConnector.Query().Where(pred)
			if after != nil {
				q.Where(oidcconnector.IDGT(*after))
			}
			rows, err := q.Order(ent.Asc(oidcconnector.FieldID)).Limit(n).ForUpdate().
				Select(oidcconnector.FieldID, oidcconnector.FieldState, oidcconnector.FieldUpdatedAt).All(ctx)
			out := make([]sealedRow[entityid.OIDCConnectorID, jsonb.OIDCConnectorState], len(rows))
			for i, r := range rows {
				out[i] = sealedRow[entityid.OIDCConnectorID, jsonb.OIDCConnectorState]{id: r.ID, value: r.State.Sealed, updatedAt: r.UpdatedAt}
			}
			return out, err
		},
		save: func(ctx context.Context, c *ent.Client, r sealedRow[entityid.OIDCConnectorID, jsonb.OIDCConnectorState], v sensitive.Sealed[jsonb.OIDCConnectorState]) error {
			return c.OIDCConnector.UpdateOneID(r.id).
				SetState(jsonb.SealedOIDCConnectorState{Sealed: v}).
				SetUpdatedAt(r.updatedAt).
				Exec(ctx)
		},
	}
}

// runColumn rekeys one column batch by batch, tenant by tenant; the cursor
// advances only after a batch commits, so a retried transaction redoes the
// same batch.
//
// Row-level security: the job runs as the app's role, which sees a
// tenant-owned row only in its tenant's scope, so it walks the tenants (a
// global table) and runs each tenant's batches with that tenant in the
// context (tenantctx.With); the driver sets app.tenant_id from it. A batch
// can therefore never read or write another tenant's rows, and the job needs
// no role that bypasses row-level security.
func runColumn[ID fmt.Stringer, T any](ctx context.Context, j *Job, w io.Writer, t column[ID, T], batchSize int) (ColumnStats, error) {
	cs := ColumnStats{Column: t.col}
	tenants, err := j.store.Writer(ctx).Tenant.Query().Order(ent.Asc(tenant.FieldID)).IDs(ctx)
	if err != nil {
		return cs, fmt.Errorf("list tenants: %w", err)
	}
	for _, tid := range tenants {
		tctx := tenantctx.With(ctx, tid)
		pending, err := t.count(tctx, j.store.Writer(tctx))
		if err != nil {
			return cs, fmt.Errorf("count values to rekey: %w", err)
		}
		cs.Pending += pending
	}
	fmt.Fprintf(w, "rekey: %s: %d values not under %s\n", t.col, cs.Pending, j.keys.Current())
	for _, tid := range tenants {
		if err := rekeyTenant(tenantctx.With(ctx, tid), j, w, t, batchSize, &cs); err != nil {
			return cs, err
		}
	}
	return cs, nil
}

// rekeyTenant rekeys the column's values of the tenant in ctx.
func rekeyTenant[ID fmt.Stringer, T any](ctx context.Context, j *Job, w io.Writer, t column[ID, T], batchSize int, cs *ColumnStats) error {
	var cursor *ID
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var (
			n    int
			last *ID
		)
		err := j.store.WithTx(ctx, func(ctx context.Context) error {
			n, last = 0, nil
			c := j.store.Writer(ctx)
			rows, err := t.load(ctx, c, cursor, batchSize)
			if err != nil {
				return fmt.Errorf("load batch: %w", err)
			}
			for _, r := range rows {
				v, changed, err := sensitive.Rekey(ctx, j.keys, r.value)
				if err != nil {
					return fmt.Errorf("%s %s: %w", t.col.Table, r.id, err)
				}
				if !changed {
					continue
				}
				if err := t.save(ctx, c, r, v); err != nil {
					return fmt.Errorf("update %s %s: %w", t.col.Table, r.id, err)
				}
				n++
			}
			if len(rows) > 0 {
				last = &rows[len(rows)-1].id
			}
			return nil
		})
		if err != nil {
			return err
		}
		if last == nil {
			return nil
		}
		cursor = last
		cs.Rekeyed += n
		cs.Batches++
		fmt.Fprintf(w, "rekey: %s: batch %d: %d re-encrypted, %d of %d done\n", t.col, cs.Batches, n, cs.Rekeyed, cs.Pending)
		j.log.Debug("rekey batch committed", zap.Stringer("column", t.col), zap.Int("batch", cs.Batches), zap.Int("rekeyed", n))
	}
}
