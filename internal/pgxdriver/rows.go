package pgxdriver

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// Rows is the entsql.ColumnScanner of a query: pgx rows behind the methods
// of *sql.Rows that ent uses.
type Rows struct {
	rows pgx.Rows
	cols []string
	// dest is reused across Scan calls so that converting ent's targets to
	// pgx scanners costs no allocation per row.
	dest []any
}

// errColumnTypes is returned by ColumnTypes.
var errColumnTypes = errors.New("pgxdriver: ColumnTypes is not available: *sql.ColumnType exists only inside database/sql")

// Close closes the rows and returns the error that ended them, if any (like
// pgx's stdlib adapter).
func (r *Rows) Close() error {
	r.rows.Close()
	return r.rows.Err()
}

// ColumnTypes always fails; see errColumnTypes. entsql.ScanTypeOf then
// scans into *any.
func (r *Rows) ColumnTypes() ([]*sql.ColumnType, error) { return nil, errColumnTypes }

// Columns returns the column names of the result.
func (r *Rows) Columns() ([]string, error) {
	if r.cols == nil {
		fds := r.rows.FieldDescriptions()
		r.cols = make([]string, len(fds))
		for i, fd := range fds {
			r.cols[i] = fd.Name
		}
	}
	return r.cols, nil
}

// Err returns the error that ended the rows, if any.
func (r *Rows) Err() error { return r.rows.Err() }

// Next advances to the next row; false at the end or on error (see Err).
func (r *Rows) Next() bool { return r.rows.Next() }

// NextResultSet is always false: a pgx query has one result set.
func (r *Rows) NextResultSet() bool { return false }

// Scan reads the current row into dest, like (*sql.Rows).Scan.
func (r *Rows) Scan(dest ...any) error {
	fds := r.rows.FieldDescriptions()
	if len(dest) != len(fds) {
		// pgx says the same, but name the database/sql contract ent expects.
		return fmt.Errorf("pgxdriver: Scan: %d destinations for %d columns", len(dest), len(fds))
	}
	if cap(r.dest) < len(dest) {
		r.dest = make([]any, len(dest))
	}
	d := r.dest[:len(dest)]
	for i, v := range dest {
		d[i] = fastTarget(fds[i].DataTypeOID, v)
	}
	err := r.rows.Scan(d...)
	clear(d) // drop references to the caller's values
	return err
}

// fastTarget converts database/sql's nullable targets, for the column types
// they are meant for, into pgx scanners of the same memory (a pointer
// conversion, no allocation); pgx then skips its database/sql fallback,
// which boxes every value. Anything else is returned unchanged.
func fastTarget(oid uint32, v any) any {
	switch p := v.(type) {
	case *sql.NullString:
		switch oid {
		case pgtype.TextOID, pgtype.VarcharOID, pgtype.BPCharOID, pgtype.NameOID:
			return (*nullString)(p)
		}
	case *sql.NullTime:
		switch oid {
		case pgtype.TimestamptzOID:
			return (*nullTimestamptz)(p)
		case pgtype.TimestampOID:
			return (*nullTimestamp)(p)
		}
	case *sql.NullInt64:
		switch oid {
		case pgtype.Int8OID, pgtype.Int4OID, pgtype.Int2OID:
			return (*nullInt64)(p)
		}
	case *sql.NullBool:
		if oid == pgtype.BoolOID {
			return (*nullBool)(p)
		}
	case *sql.NullFloat64:
		switch oid {
		case pgtype.Float8OID, pgtype.Float4OID:
			return (*nullFloat64)(p)
		}
	}
	return v
}

type (
	nullString      sql.NullString
	nullTimestamptz sql.NullTime
	nullTimestamp   sql.NullTime
	nullInt64       sql.NullInt64
	nullBool        sql.NullBool
	nullFloat64     sql.NullFloat64
)

func (n *nullString) ScanText(v pgtype.Text) error {
	*n = nullString{String: v.String, Valid: v.Valid}
	return nil
}

func (n *nullTimestamptz) ScanTimestamptz(v pgtype.Timestamptz) error {
	if v.Valid && v.InfinityModifier != pgtype.Finite {
		return fmt.Errorf("pgxdriver: cannot scan %s timestamptz into sql.NullTime", v.InfinityModifier)
	}
	*n = nullTimestamptz{Time: v.Time, Valid: v.Valid}
	return nil
}

func (n *nullTimestamp) ScanTimestamp(v pgtype.Timestamp) error {
	if v.Valid && v.InfinityModifier != pgtype.Finite {
		return fmt.Errorf("pgxdriver: cannot scan %s timestamp into sql.NullTime", v.InfinityModifier)
	}
	*n = nullTimestamp{Time: v.Time, Valid: v.Valid}
	return nil
}

func (n *nullInt64) ScanInt64(v pgtype.Int8) error {
	*n = nullInt64{Int64: v.Int64, Valid: v.Valid}
	return nil
}

func (n *nullBool) ScanBool(v pgtype.Bool) error {
	*n = nullBool{Bool: v.Bool, Valid: v.Valid}
	return nil
}

func (n *nullFloat64) ScanFloat64(v pgtype.Float8) error {
	*n = nullFloat64{Float64: v.Float64, Valid: v.Valid}
	return nil
}
