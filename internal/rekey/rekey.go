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

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/internal/db"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/sensitive"
)

// Conn runs the job's statements on the primary, outside any transaction
// (each statement commits on its own). The read-write *ent.Client
// (db.DB.Client) satisfies it, as does *sql.DB.
type Conn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// DefaultBatchSize is used when Rekey is given a batch size of 0.
const DefaultBatchSize = 1000

// MaxBatchSize bounds one batch (one UPDATE statement).
const MaxBatchSize = 10000

var (
	// ErrInvalidBatchSize is returned for a batch size outside 0..MaxBatchSize.
	ErrInvalidBatchSize = errors.New("rekey: invalid batch size")

	// ErrInvalidColumns is returned by New for an empty or inconsistent
	// list of sealed columns.
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
	Groups int      // distinct envelopes stored in more than one row
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
type column struct {
	entmeta.SealedColumn
	count, first, next, update, copies string
}

// New returns the rekey job over columns (ent.SealedColumns, derived from
// ent/schema). Its logger is named "rekey".
func New(logger *zap.Logger, conn Conn, keys *sensitive.Keyring, columns []entmeta.SealedColumn) (*Job, error) {
	switch {
	case logger == nil:
		return nil, errors.New("rekey: logger is nil; pass a *zap.Logger (zap.NewNop() to discard)")
	case conn == nil:
		return nil, errors.New("rekey: connection is nil; pass the read-write *ent.Client (db.DB.Client())")
	case keys == nil:
		return nil, errors.New("rekey: keyring is nil; pass the *sensitive.Keyring built from configuration")
	case len(columns) == 0:
		return nil, fmt.Errorf("%w: none given; pass ent.SealedColumns()", ErrInvalidColumns)
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
		cols = append(cols, statements(c))
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
func statements(c entmeta.SealedColumn) column {
	t, v, id := pgx.Identifier{c.Table}.Sanitize(), pgx.Identifier{c.Column}.Sanitize(), pgx.Identifier{c.IDColumn}.Sanitize()
	pending := fmt.Sprintf("%[1]s->>'kid' IS NOT NULL AND NOT (%[1]s @> $1::jsonb)", v)
	sel := fmt.Sprintf("SELECT %s, %s::text, xmin::text FROM %s WHERE ", id, v, t)
	return column{
		SealedColumn: c,
		count:        fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", t, pending),
		first:        sel + pending + fmt.Sprintf(" ORDER BY %s LIMIT $2", id),
		next:         sel + fmt.Sprintf("%s > $3 AND ", id) + pending + fmt.Sprintf(" ORDER BY %s LIMIT $2", id),
		// One statement per batch. The row version read (xmin) in the WHERE
		// clause leaves alone a row that a concurrent write changed after
		// it was read (any write changes xmin; row locks do not). It costs
		// less than sending the old values back to compare them.
		update: fmt.Sprintf("UPDATE %[1]s AS t SET %[2]s = v.new::jsonb "+
			"FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bool[]) AS v(id, xmin, new, upgraded) "+
			"WHERE t.%[3]s = v.id AND t.xmin = v.xmin::xid RETURNING v.upgraded", t, v, id),
		// Copies of one envelope share its wrapped key and ciphertext.
		copies: fmt.Sprintf("SELECT count(*) OVER (), sum(n) OVER (), ids FROM ("+
			"SELECT count(*) AS n, array_to_string((array_agg(%[3]s::text ORDER BY %[3]s))[1:10], ', ') AS ids "+
			"FROM %[1]s WHERE %[2]s->>'v' = '1' GROUP BY %[2]s->>'wdk', %[2]s->>'ct' HAVING count(*) > 1) d LIMIT 10", t, v, id),
	}
}

// Module provides *Job from the application's logger, *db.DB, keyring and
// []entmeta.SealedColumn, and provides that list from SealedColumns (see
// its merge note: it becomes ent.SealedColumns).
var Module = fx.Module("rekey",
	fx.Provide(func(logger *zap.Logger, d *db.DB, keys *sensitive.Keyring, columns []entmeta.SealedColumn) (*Job, error) {
		return New(logger, d.Client(), keys, columns)
	}),
	fx.Provide(SealedColumns),
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
	for _, c := range j.columns {
		cs, err := j.runColumn(ctx, w, c, batchSize)
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

// currentJSON is the containment test for "version 2 under the current key".
func (j *Job) currentJSON() string {
	b, _ := json.Marshal(map[string]any{"v": 2, "kid": j.keys.Current().ID, "kver": j.keys.Current().Version})
	return string(b)
}

// row is one stored value of a batch.
type row struct {
	id       pgtype.UUID
	old, new string // stored envelope, re-encrypted one ("" when unchanged)
	xmin     string // row version read
	upgraded bool
	err      error
}

// runColumn rekeys one column batch by batch; the cursor advances past
// every row read, so a row skipped because of a concurrent write is not
// read again in this run.
func (j *Job) runColumn(ctx context.Context, w io.Writer, c column, batchSize int) (ColumnStats, error) {
	cs := ColumnStats{Column: c.SealedColumn}
	cur := j.currentJSON()
	if err := queryRow(ctx, j.conn, c.count, []any{cur}, &cs.Pending); err != nil {
		return cs, fmt.Errorf("count values to rekey: %w", err)
	}
	fmt.Fprintf(w, "rekey: %s: %d values not under %s or not bound to their row\n", c.SealedColumn, cs.Pending, j.keys.Current())
	if cs.Pending == 0 {
		return cs, nil
	}
	if err := j.checkCopies(ctx, c); err != nil {
		return cs, err
	}
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
		j.read(ctx, c, cur, batchSize, batches)
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
			return cs, err
		}
		var b batch
		select {
		case <-ctx.Done():
			return cs, ctx.Err()
		case got, ok := <-batches:
			if !ok {
				return cs, ctx.Err() // reader finished: nil unless cancelled
			}
			b = got
		}
		if b.err != nil {
			return cs, b.err
		}
		ids, xmins, news, ups = ids[:0], xmins[:0], news[:0], ups[:0]
		for i := range b.rows {
			r := &b.rows[i]
			if r.err != nil {
				return cs, fmt.Errorf("%s row %s: %w", c.Table, uuidText(r.id), r.err)
			}
			if r.new != "" {
				ids, xmins, news, ups = append(ids, r.id), append(xmins, r.xmin), append(news, r.new), append(ups, r.upgraded)
			}
		}
		n, upgraded, err := j.update(ctx, c, ids, xmins, news, ups)
		if err != nil {
			return cs, fmt.Errorf("update batch after %s: %w", uuidText(last), err)
		}
		last = b.rows[len(b.rows)-1].id
		cs.Batches++
		cs.Rekeyed += n
		cs.Upgraded += upgraded
		cs.Skipped += len(ids) - n
		fmt.Fprintf(w, "rekey: %s: batch %d: %d re-encrypted, %d of %d done\n", c.SealedColumn, cs.Batches, n, cs.Rekeyed, cs.Pending)
		if skipped := len(ids) - n; skipped > 0 {
			fmt.Fprintf(w, "rekey: %s: batch %d: %d value(s) changed by another writer since read; left as written\n", c.SealedColumn, cs.Batches, skipped)
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
func (j *Job) read(ctx context.Context, c column, cur string, batchSize int, out chan<- batch) {
	var cursor pgtype.UUID
	for ctx.Err() == nil {
		rows, err := j.load(ctx, c, cur, cursor, batchSize, make([]row, 0, batchSize))
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
	rs, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
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
func (j *Job) update(ctx context.Context, c column, ids []pgtype.UUID, xmins, news []string, ups []bool) (n, upgraded int, err error) {
	if len(ids) == 0 {
		return 0, 0, nil
	}
	rs, err := j.conn.QueryContext(ctx, c.update, ids, xmins, news, ups)
	if err != nil {
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
func (j *Job) load(ctx context.Context, c column, cur string, cursor pgtype.UUID, n int, into []row) ([]row, error) {
	var (
		rs  *sql.Rows
		err error
	)
	if cursor.Valid {
		rs, err = j.conn.QueryContext(ctx, c.next, cur, n, cursor)
	} else {
		rs, err = j.conn.QueryContext(ctx, c.first, cur, n)
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
// several rows: binding each copy to the row it sits in would make every
// copy valid.
func (j *Job) checkCopies(ctx context.Context, c column) error {
	rs, err := j.conn.QueryContext(ctx, c.copies)
	if err != nil {
		return fmt.Errorf("look for copied version 1 values: %w", err)
	}
	defer rs.Close()
	e := &CopiedValuesError{Column: c.SealedColumn}
	for rs.Next() {
		var ids string
		if err := rs.Scan(&e.Groups, &e.Rows, &ids); err != nil {
			return fmt.Errorf("look for copied version 1 values: %w", err)
		}
		for _, id := range strings.Split(ids, ", ") {
			if len(e.Sample) < 10 {
				e.Sample = append(e.Sample, id)
			}
		}
	}
	if err := rs.Err(); err != nil {
		return fmt.Errorf("look for copied version 1 values: %w", err)
	}
	if e.Groups > 0 {
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
