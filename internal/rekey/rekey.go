package rekey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/ent"
	"github.com/central/central/internal/db"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/tenantctx"
)

// Conn runs the job's statements on the primary, outside any transaction
// (each statement commits on its own): ent's dialect-level Exec and Query,
// the read-write driver of db.DB (db.DB.Driver). Those send the tenant of
// the statement's context with it (internal/pgxdriver), which row-level
// security needs; database/sql's QueryContext cannot (the pgx driver
// refuses a context with a tenant there).
type Conn = dialect.ExecQuerier

// DefaultBatchSize is used when Rekey is given a batch size of 0.
const DefaultBatchSize = 1000

// MaxBatchSize bounds one batch (one UPDATE statement).
const MaxBatchSize = 10000

var (
	// ErrInvalidBatchSize is returned for a batch size outside 0..MaxBatchSize.
	ErrInvalidBatchSize = errors.New("rekey: invalid batch size")

	// ErrInvalidColumns is returned by New for an empty or inconsistent
	// list of sealed columns, or one the job cannot reach under row-level
	// security (an entity owned through its parent, or with rows outside
	// any tenant).
	ErrInvalidColumns = errors.New("rekey: invalid sealed columns")

	// ErrCopiedValues is returned (as a *CopiedValuesError) when a column
	// holds the same version 1 envelope in several rows: version 1 predates
	// place binding, so the job cannot tell the original from the copies
	// and refuses to bind any of them to its row.
	ErrCopiedValues = errors.New("rekey: identical version 1 values in several rows")
)

// CopiedValuesError lists the rows of one column that hold byte-identical
// version 1 envelopes (at most 10 are named).
type CopiedValuesError struct {
	Column entmeta.SealedColumn
	Groups int      // distinct envelopes stored in more than one row (of any tenants)
	Rows   int      // rows holding them
	Sample []string // some of those rows' IDs (UUID text)
}

func (e *CopiedValuesError) Error() string {
	return fmt.Sprintf("rekey %s: %d version 1 value(s) are stored in more than one row (%d rows, e.g. %s); "+
		"a version 1 envelope is not bound to its row, so a copy cannot be told from the original and none is bound: "+
		"set those rows' values again through the application (or clear them), then run rekey again",
		e.Column, e.Groups, e.Rows, strings.Join(e.Sample, ", "))
}

// Unwrap returns ErrCopiedValues.
func (e *CopiedValuesError) Unwrap() error { return ErrCopiedValues }

// ColumnStats counts what the job did to one column.
type ColumnStats struct {
	Column   entmeta.SealedColumn
	Pending  int // values not under the current key, or version 1, when the column started
	Rekeyed  int // values re-encrypted under the current key and bound to their row
	Upgraded int // of Rekeyed, version 1 values (now version 2)
	Skipped  int // values changed by a concurrent write between read and update (left as written)
	Batches  int // UPDATE statements committed
	Tenants  int // tenants with values to rekey (0 for a global entity's column)
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
	log     *zap.Logger
	conn    Conn
	keys    *sensitive.Keyring
	columns []column
	workers int
	now     func() time.Time
}

// column is one sealed column with its statements, identifiers quoted.
// Statements of a tenant-owned column take the tenant as their last
// argument and run with it in the context.
type column struct {
	entmeta.SealedColumn
	tenantOwned                         bool
	count, first, next, update, digests string
}

// New returns the rekey job over columns (ent.SealedColumns, derived from
// ent/schema); entities (ent.Entities) says which tenancy each column's
// entity has. Its logger is named "rekey".
//
// A column of a tenant-owned entity is walked tenant by tenant (see
// Rekey). Refused (ErrInvalidColumns): a column whose entity is not in
// entities or has another table; one of an entity owned through its parent
// (entmeta.TenantOwnedVia: it has no tenant column to scope a batch by);
// one of an entity whose tenant may be NULL (such rows are invisible to
// every tenant under row-level security, so the job could not reach them).
func New(logger *zap.Logger, conn Conn, keys *sensitive.Keyring, columns []entmeta.SealedColumn, entities []entmeta.Entity) (*Job, error) {
	switch {
	case logger == nil:
		return nil, errors.New("rekey: logger is nil; pass a *zap.Logger (zap.NewNop() to discard)")
	case conn == nil:
		return nil, errors.New("rekey: connection is nil; pass the read-write driver (db.DB.Driver())")
	case keys == nil:
		return nil, errors.New("rekey: keyring is nil; pass the *sensitive.Keyring built from configuration")
	case len(columns) == 0:
		return nil, fmt.Errorf("%w: none given; pass ent.SealedColumns()", ErrInvalidColumns)
	}
	byName := make(map[string]entmeta.Entity, len(entities))
	for _, e := range entities {
		byName[e.Name] = e
	}
	seen := map[string]bool{}
	cols := make([]column, 0, len(columns))
	for _, c := range columns {
		if c.Table == "" || c.Column == "" || c.IDColumn == "" {
			return nil, fmt.Errorf("%w: %+v: table, column and ID column are required", ErrInvalidColumns, c)
		}
		if seen[c.String()] {
			return nil, fmt.Errorf("%w: %s listed twice", ErrInvalidColumns, c)
		}
		seen[c.String()] = true
		e, ok := byName[c.Entity]
		switch {
		case !ok || e.Table != c.Table:
			return nil, fmt.Errorf("%w: %s: entity %q with table %q is not among the entities given; pass ent.Entities() with ent.SealedColumns()", ErrInvalidColumns, c, c.Entity, c.Table)
		case e.Tenancy == entmeta.TenantOwnedVia:
			return nil, fmt.Errorf("%w: %s: %s belongs to the tenant of its %s (%s) and has no tenant column, so a batch cannot be scoped to one tenant; "+
				"give %s a tenant_id (tenant-owned) before sealing its columns", ErrInvalidColumns, c, e.Name, e.Via, e.Parent, e.Name)
		case e.Tenancy == entmeta.TenantOwned && (e.TenantColumn == "" || e.TenantOptional):
			return nil, fmt.Errorf("%w: %s: %s's tenant column %q may be NULL (or is unnamed); rows outside any tenant are invisible to the app's role under row-level security, "+
				"so the job could not reach them: make the tenant required before sealing its columns", ErrInvalidColumns, c, e.Name, e.TenantColumn)
		case e.Tenancy != entmeta.Global && e.Tenancy != entmeta.TenantOwned:
			return nil, fmt.Errorf("%w: %s: unknown tenancy %v", ErrInvalidColumns, c, e.Tenancy)
		}
		cols = append(cols, statements(c, e.TenantColumn))
	}
	return &Job{
		log:     logger.Named("rekey").With(zap.String("component", "rekey")),
		conn:    conn,
		keys:    keys,
		columns: cols,
		workers: max(1, runtime.GOMAXPROCS(0)),
		now:     time.Now,
	}, nil
}

// statements builds a column's SQL. Identifiers come from the registry
// and are quoted (pgx.Identifier.Sanitize), never spliced raw.
//
// A value is pending when it is an envelope (has a kid) that is not a
// version 2 envelope under the current key ($1, a JSON object to test
// containment). NULL and non-envelope values are never selected.
//
// A tenant-owned column's statements also name the tenant (their last
// argument) besides running with it set for row-level security: a role
// that bypasses the policies (a superuser) still sees, in a tenant's
// batch, that tenant's rows only.
func statements(c entmeta.SealedColumn, tenantColumn string) column {
	t, v, id := pgx.Identifier{c.Table}.Sanitize(), pgx.Identifier{c.Column}.Sanitize(), pgx.Identifier{c.IDColumn}.Sanitize()
	scope := func(n int) string { return "" }
	if tenantColumn != "" {
		tc := pgx.Identifier{tenantColumn}.Sanitize()
		scope = func(n int) string { return fmt.Sprintf(" AND t.%s = $%d", tc, n) }
	}
	pending := fmt.Sprintf("t.%[1]s->>'kid' IS NOT NULL AND NOT (t.%[1]s @> $1::jsonb)", v)
	sel := fmt.Sprintf("SELECT t.%s, t.%s::text, t.xmin::text FROM %s AS t WHERE ", id, v, t)
	return column{
		SealedColumn: c,
		tenantOwned:  tenantColumn != "",
		// The count also says how many pending values are version 1, so
		// the look for copies (a scan of its own) runs only where some are.
		count: fmt.Sprintf("SELECT count(*), count(*) FILTER (WHERE t.%s->>'v' = '1') FROM %s AS t WHERE %s", v, t, pending) + scope(2),
		first: sel + pending + scope(3) + fmt.Sprintf(" ORDER BY t.%s LIMIT $2", id),
		next:  sel + fmt.Sprintf("t.%s > $3 AND ", id) + pending + scope(4) + fmt.Sprintf(" ORDER BY t.%s LIMIT $2", id),
		// One statement per batch. The row version read (xmin) in the WHERE
		// clause leaves alone a row that a concurrent write changed after
		// it was read (any write changes xmin; row locks do not). It costs
		// less than sending the old values back to compare them.
		update: fmt.Sprintf("UPDATE %[1]s AS t SET %[2]s = v.new::jsonb "+
			"FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[]) AS v(id, xmin, new, upgraded) "+
			"WHERE t.%[3]s = v.id AND t.xmin = v.xmin::xid", t, v, id) + scope(5) + " RETURNING v.upgraded",
		// Copies of one envelope share its wrapped key and ciphertext: a
		// 16-byte digest of both per version 1 value, compared across
		// every tenant in Go (a tenant's scope sees its own rows only).
		digests: fmt.Sprintf("SELECT t.%[3]s, md5((t.%[2]s->>'wdk') || '.' || (t.%[2]s->>'ct'))::uuid FROM %[1]s AS t "+
			"WHERE t.%[2]s->>'v' = '1'", t, v, id) + scope(1),
	}
}

// Module provides *Job from the application's logger, *db.DB (its
// read-write driver) and keyring, over the schema's sealed columns
// (ent.SealedColumns, tenancy from ent.Entities).
var Module = fx.Module("rekey",
	fx.Provide(func(logger *zap.Logger, d *db.DB, keys *sensitive.Keyring) (*Job, error) {
		return New(logger, d.Driver(), keys, ent.SealedColumns(), ent.Entities())
	}),
)

// Rekey re-encrypts, under the keyring's current key, every value of the
// job's sealed columns sealed under another key or in the version 1
// format, binding each to its row (sensitive.RekeyAt). It walks each table
// by primary key in batches of batchSize rows (0: DefaultBatchSize) that
// need it: one SELECT, the crypto in parallel, one UPDATE that writes the
// whole batch and skips any row whose value changed since it was read.
// updated_at and every other column are left as they were. Progress goes to
// w, one line per batch.
//
// Row-level security hides every tenant-owned row from the app's role
// unless a tenant is set, so a tenant-owned column is walked tenant by
// tenant (the global table tenants, by ID): every statement of a tenant's
// batches runs with that tenant in its context (tenantctx.With), which the
// driver sends with the statement, and names it in its WHERE clause.
//
// It is resumable: values already done are not selected, so a run
// interrupted (ctx cancelled, crash) keeps the batches it committed and the
// next run picks up the rest. A value that cannot be opened (key missing
// from the keyring, wrong key, tampered, sealed for another row) stops the
// run with an error naming the row; that batch is not written. A column
// holding one version 1 envelope in several rows stops with a
// *CopiedValuesError before anything in it is written. NULL values and
// values that are not envelopes are skipped.
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
	var tenants []scope
	for _, c := range j.columns {
		if c.tenantOwned && tenants == nil {
			var err error
			if tenants, err = j.tenants(ctx); err != nil {
				return st, fmt.Errorf("rekey: list tenants: %w", err)
			}
		}
		scopes := []scope{{}}
		if c.tenantOwned {
			scopes = tenants
		}
		cs, err := j.runColumn(ctx, w, c, scopes, batchSize)
		st.Columns = append(st.Columns, cs)
		if err != nil {
			st.Duration = j.now().Sub(start)
			fmt.Fprintf(w, "rekey: %s: stopped after %d of %d: %v\n", c.SealedColumn, cs.Rekeyed, cs.Pending, err)
			return st, fmt.Errorf("rekey %s: %w", c.SealedColumn, err)
		}
	}
	st.Duration = j.now().Sub(start)
	fmt.Fprintf(w, "rekey: done: %d values re-encrypted in %s\n", st.Rekeyed(), st.Duration.Round(time.Millisecond))
	j.log.Info("rekey finished", zap.Stringer("current", st.Current), zap.Int("rekeyed", st.Rekeyed()), zap.Duration("duration", st.Duration))
	return st, nil
}

// scope is where a column's statements run: one tenant (tenant.Valid) or,
// for a global entity, the whole table.
type scope struct {
	tenant pgtype.UUID
}

// ctx returns ctx carrying the scope's tenant, if any.
func (s scope) ctx(ctx context.Context) context.Context {
	if !s.tenant.Valid {
		return ctx
	}
	return tenantctx.With(ctx, s.tenant.Bytes)
}

// args appends the scope's tenant, the last argument of a tenant-owned
// column's statements.
func (s scope) args(args ...any) []any {
	if s.tenant.Valid {
		return append(args, s.tenant)
	}
	return args
}

func (s scope) String() string {
	if !s.tenant.Valid {
		return ""
	}
	return " (tenant " + uuidText(s.tenant) + ")"
}

// tenants lists every tenant (a global table, visible without a tenant),
// by ID. Tenants created during the run seal under the current key.
func (j *Job) tenants(ctx context.Context) ([]scope, error) {
	var rs entsql.Rows
	if err := j.conn.Query(ctx, "SELECT id FROM tenants ORDER BY id", []any{}, &rs); err != nil {
		return nil, err
	}
	defer rs.Close()
	out := []scope{}
	for rs.Next() {
		var s scope
		if err := rs.Scan(&s.tenant); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rs.Err()
}

// row is one stored value of a batch.
type row struct {
	id       pgtype.UUID
	old, new string // stored envelope, re-encrypted one ("" when unchanged)
	xmin     string // row version read
	upgraded bool
	err      error
}

// runColumn rekeys one column, scope by scope (tenant by tenant for a
// tenant-owned column). Copies of version 1 values are looked for in every
// scope before anything of the column is written.
func (j *Job) runColumn(ctx context.Context, w io.Writer, c column, scopes []scope, batchSize int) (ColumnStats, error) {
	cs := ColumnStats{Column: c.SealedColumn}
	cur := j.keys.CurrentHeader()
	var pending, withV1 []scope
	for _, s := range scopes {
		var n, v1 int
		if err := queryRow(s.ctx(ctx), j.conn, c.count, s.args(cur), &n, &v1); err != nil {
			return cs, fmt.Errorf("count values to rekey%s: %w", s, err)
		}
		if n > 0 {
			cs.Pending += n
			pending = append(pending, s)
		}
		if v1 > 0 {
			withV1 = append(withV1, s)
		}
	}
	if c.tenantOwned {
		cs.Tenants = len(pending)
	}
	fmt.Fprintf(w, "rekey: %s: %d values not under %s or not bound to their row\n", c.SealedColumn, cs.Pending, j.keys.Current())
	if cs.Pending == 0 {
		return cs, nil
	}
	if len(withV1) > 0 {
		if err := j.checkCopies(ctx, c, withV1); err != nil {
			return cs, err
		}
	}
	for _, s := range pending {
		if err := j.runScope(ctx, w, c, s, cur, batchSize, &cs); err != nil {
			return cs, err
		}
	}
	return cs, nil
}

// runScope rekeys one column in one scope batch by batch; the cursor
// advances past every row read, so a row skipped because of a concurrent
// write is not read again in this run.
func (j *Job) runScope(ctx context.Context, w io.Writer, c column, s scope, cur string, batchSize int, cs *ColumnStats) error {
	ctx = s.ctx(ctx)
	// Two stages: a reader loads and re-encrypts the next batch while the
	// writer's UPDATE of the previous one runs (the crypto and the
	// database then use both cores). The reader's cursor runs at most one
	// batch ahead; a batch read but not written is still pending, so
	// stopping anywhere loses nothing.
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 1)
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		defer close(batches)
		j.read(ctx, c, s, cur, batchSize, batches)
	}()
	defer func() {
		cancel()
		for range batches { // unblock and wait for the reader
		}
		<-readerDone
	}()

	ids := make([]pgtype.UUID, 0, batchSize)
	xmins := make([]string, 0, batchSize)
	news := make([]string, 0, batchSize)
	ups := make([]bool, 0, batchSize)
	var last pgtype.UUID // last row of the last batch written
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var b batch
		select {
		case <-ctx.Done():
			return ctx.Err()
		case got, ok := <-batches:
			if !ok {
				return ctx.Err() // reader finished: nil unless cancelled
			}
			b = got
		}
		if b.err != nil {
			return b.err
		}
		ids, xmins, news, ups = ids[:0], xmins[:0], news[:0], ups[:0]
		for i := range b.rows {
			r := &b.rows[i]
			if r.err != nil {
				return fmt.Errorf("%s row %s: %w", c.Table, uuidText(r.id), r.err)
			}
			if r.new != "" {
				ids, xmins, news, ups = append(ids, r.id), append(xmins, r.xmin), append(news, r.new), append(ups, r.upgraded)
			}
		}
		n, upgraded, err := j.update(ctx, c, s, ids, xmins, news, ups)
		if err != nil {
			return fmt.Errorf("update batch after %s%s: %w", uuidText(last), s, err)
		}
		last = b.rows[len(b.rows)-1].id
		cs.Batches++
		cs.Rekeyed += n
		cs.Upgraded += upgraded
		cs.Skipped += len(ids) - n
		fmt.Fprintf(w, "rekey: %s: batch %d: %d re-encrypted, %d of %d done%s\n", c.SealedColumn, cs.Batches, n, cs.Rekeyed, cs.Pending, s)
		if skipped := len(ids) - n; skipped > 0 {
			fmt.Fprintf(w, "rekey: %s: batch %d: %d value(s) changed by another writer since read; left as written%s\n", c.SealedColumn, cs.Batches, skipped, s)
		}
		j.log.Debug("rekey batch committed", zap.Stringer("column", c.SealedColumn), zap.Int("batch", cs.Batches), zap.Int("rekeyed", n))
	}
}

// batch is what the reader hands the writer: rows re-encrypted (or with
// their errors), or the error that stopped reading.
type batch struct {
	rows []row
	err  error
}

// read loads and re-encrypts batches after one another until the column is
// done, ctx ends or a load fails (sent as a batch error). It stops after a
// batch with a row error: the writer stops there.
func (j *Job) read(ctx context.Context, c column, s scope, cur string, batchSize int, out chan<- batch) {
	var cursor pgtype.UUID
	for ctx.Err() == nil {
		rows, err := j.load(ctx, c, s, cur, cursor, batchSize, make([]row, 0, batchSize))
		if err != nil {
			err = fmt.Errorf("load batch after %s: %w", uuidText(cursor), err)
		}
		if err == nil && len(rows) == 0 {
			return
		}
		failed := err != nil
		if !failed {
			j.reseal(ctx, c, rows)
			cursor = rows[len(rows)-1].id
			for i := range rows {
				failed = failed || rows[i].err != nil
			}
		}
		select {
		case out <- batch{rows: rows, err: err}:
		case <-ctx.Done():
			return
		}
		if failed {
			return
		}
	}
}

// queryRow scans the one row of q into dst.
func queryRow(ctx context.Context, conn Conn, q string, args []any, dst ...any) error {
	var rs entsql.Rows
	if err := conn.Query(ctx, q, args, &rs); err != nil {
		return err
	}
	defer rs.Close()
	if !rs.Next() {
		if err := rs.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rs.Scan(dst...); err != nil {
		return err
	}
	return rs.Close()
}

// update writes a batch in one statement and reports how many rows it
// wrote and how many of those were version 1 upgrades. Rows written by
// anyone since they were read (another xmin) are not written.
func (j *Job) update(ctx context.Context, c column, s scope, ids []pgtype.UUID, xmins, news []string, ups []bool) (n, upgraded int, err error) {
	if len(ids) == 0 {
		return 0, 0, nil
	}
	var rs entsql.Rows
	if err := j.conn.Query(ctx, c.update, s.args(ids, xmins, news, ups), &rs); err != nil {
		return 0, 0, err
	}
	defer rs.Close()
	for rs.Next() {
		var up bool
		if err := rs.Scan(&up); err != nil {
			return 0, 0, err
		}
		n++
		if up {
			upgraded++
		}
	}
	return n, upgraded, rs.Err()
}

// load reads the next batch after cursor (the zero UUID value: from the
// start).
func (j *Job) load(ctx context.Context, c column, s scope, cur string, cursor pgtype.UUID, n int, into []row) ([]row, error) {
	var (
		rs  entsql.Rows
		err error
	)
	if cursor.Valid {
		err = j.conn.Query(ctx, c.next, s.args(cur, n, cursor), &rs)
	} else {
		err = j.conn.Query(ctx, c.first, s.args(cur, n), &rs)
	}
	if err != nil {
		return into, err
	}
	defer rs.Close()
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.id, &r.old, &r.xmin); err != nil {
			return into, err
		}
		into = append(into, r)
	}
	return into, rs.Err()
}

// reseal re-encrypts rows in parallel (the keeper calls and AES dominate
// once the per-row round trips are gone). It sets new, upgraded or err.
func (j *Job) reseal(ctx context.Context, c column, rows []row) {
	var wg sync.WaitGroup
	per := (len(rows) + j.workers - 1) / j.workers
	for lo := 0; lo < len(rows); lo += per {
		part := rows[lo:min(lo+per, len(rows))]
		wg.Go(func() {
			for i := range part {
				r := &part[i]
				var s sensitive.Sealed[json.RawMessage]
				if err := s.Scan(r.old); err != nil {
					r.err = err
					continue
				}
				v1 := s.Version() == 1
				out, changed, err := sensitive.RekeyAt(ctx, j.keys, sensitive.At(c.Table, c.Column, r.id.Bytes), s)
				if err != nil {
					r.err = err
					continue
				}
				if !changed {
					continue
				}
				b, err := out.MarshalJSON()
				if err != nil {
					r.err = err
					continue
				}
				r.new, r.upgraded = string(b), v1
			}
		})
	}
	wg.Wait()
}

// checkCopies refuses a column where one version 1 envelope is stored in
// several rows, of one tenant or of several: binding each copy to the row
// it sits in would make every copy valid. A tenant's scope sees only its
// rows, so the digests of every scope's version 1 values are compared
// here: memory grows with the number of version 1 values (about 50 bytes
// each), which exist only until the first run after an upgrade.
func (j *Job) checkCopies(ctx context.Context, c column, scopes []scope) error {
	type seen struct {
		first pgtype.UUID
		n     int
	}
	digests := map[[16]byte]*seen{}
	var dups []*seen
	e := &CopiedValuesError{Column: c.SealedColumn}
	for _, s := range scopes {
		var rs entsql.Rows
		if err := j.conn.Query(s.ctx(ctx), c.digests, s.args(), &rs); err != nil {
			return fmt.Errorf("look for copied version 1 values%s: %w", s, err)
		}
		err := func() error {
			defer rs.Close()
			for rs.Next() {
				var id, d pgtype.UUID
				if err := rs.Scan(&id, &d); err != nil {
					return err
				}
				g := digests[d.Bytes]
				if g == nil {
					digests[d.Bytes] = &seen{first: id, n: 1}
					continue
				}
				if g.n == 1 {
					dups = append(dups, g)
					e.Rows++
					if len(e.Sample) < 10 {
						e.Sample = append(e.Sample, uuidText(g.first))
					}
				}
				g.n++
				e.Rows++
				if len(e.Sample) < 10 {
					e.Sample = append(e.Sample, uuidText(id))
				}
			}
			return rs.Err()
		}()
		if err != nil {
			return fmt.Errorf("look for copied version 1 values%s: %w", s, err)
		}
	}
	if e.Groups = len(dups); e.Groups > 0 {
		return e
	}
	return nil
}

func uuidText(u pgtype.UUID) string {
	if !u.Valid {
		return "(start)"
	}
	v, _ := u.Value()
	s, _ := v.(string)
	return s
}
