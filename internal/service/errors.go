package service

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/central/central/ent"
	entmigrate "github.com/central/central/ent/migrate"
)

var (
	// ErrNotFound matches every error for an entity that does not exist or
	// belongs to another tenant (as a *[NotFoundError]). HTTP: 404.
	ErrNotFound = errors.New("service: not found")

	// ErrConflict matches a write that would break a uniqueness rule (SQLSTATE
	// 23505), as a *[ConflictError] naming the fields. HTTP: 409.
	ErrConflict = errors.New("service: conflict")

	// ErrInvalid matches input the schema rejects: ent validators, CHECK
	// constraints (SQLSTATE 23514), bad page limits (as an *[InvalidError]).
	// HTTP: 400.
	ErrInvalid = errors.New("service: invalid input")
)

// NotFoundError reports a missing entity. It matches [ErrNotFound].
type NotFoundError struct {
	Entity string // "tenant", "user", "user_tag", "oidc_connector", "stored_object"
	ID     string // rich ID or other key that was looked up (may be empty)
}

func (e *NotFoundError) Error() string {
	if e.ID == "" {
		return fmt.Sprintf("service: %s not found", e.Entity)
	}
	return fmt.Sprintf("service: %s %s not found", e.Entity, e.ID)
}

// Is reports whether target is [ErrNotFound].
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// ConflictError reports a unique-constraint violation. It matches
// [ErrConflict] and unwraps to the database error.
type ConflictError struct {
	Entity     string
	Fields     []string // columns of the violated constraint, without the scoping tenant_id/user_id
	Constraint string   // PostgreSQL constraint (index) name
	Err        error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("service: %s with the same %s already exists (constraint %s)",
		e.Entity, strings.Join(e.Fields, ", "), e.Constraint)
}

// Is reports whether target is [ErrConflict].
func (e *ConflictError) Is(target error) bool { return target == ErrConflict }

// Unwrap returns the database error.
func (e *ConflictError) Unwrap() error { return e.Err }

// InvalidError reports input the schema rejects. It matches [ErrInvalid]
// and unwraps to the validator's or the database's error.
type InvalidError struct {
	Entity     string
	Field      string // the offending field, when known
	Constraint string // the CHECK constraint, for database rejections
	Err        error
}

func (e *InvalidError) Error() string {
	var b strings.Builder
	b.WriteString("service: invalid ")
	b.WriteString(e.Entity)
	if e.Field != "" {
		b.WriteString(" field ")
		b.WriteString(e.Field)
	}
	if e.Constraint != "" {
		b.WriteString(" (check ")
		b.WriteString(e.Constraint)
		b.WriteString(")")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

// Is reports whether target is [ErrInvalid].
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Unwrap returns the underlying error.
func (e *InvalidError) Unwrap() error { return e.Err }

func notFound(entity, id string) error { return &NotFoundError{Entity: entity, ID: id} }

func invalid(entity, field, format string, args ...any) error {
	return &InvalidError{Entity: entity, Field: field, Err: fmt.Errorf(format, args...)}
}

// PostgreSQL error codes the services translate.
const (
	pgUniqueViolation     = "23505"
	pgCheckViolation      = "23514"
	pgForeignKeyViolation = "23503"
)

// classify turns ent and PostgreSQL errors into the package's typed errors;
// id names the entity for not-found errors. Anything else is returned as is.
func classify(entity, id string, err error) error {
	if err == nil {
		return nil
	}
	if ie := classifyInput(entity, err); ie != nil {
		return ie
	}
	var ve *ent.ValidationError
	var pgErr *pgconn.PgError
	switch {
	case ent.IsNotFound(err):
		return notFound(entity, id)
	case errors.As(err, &ve):
		return &InvalidError{Entity: entity, Field: ve.Name, Err: err}
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case pgUniqueViolation:
			return &ConflictError{Entity: entity, Fields: uniqueFields(pgErr), Constraint: pgErr.ConstraintName, Err: err}
		case pgCheckViolation:
			return &InvalidError{Entity: entity, Constraint: pgErr.ConstraintName, Err: err}
		}
	}
	return err
}

// isForeignKeyViolation reports a missing parent row (SQLSTATE 23503).
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == pgForeignKeyViolation
}

// uniqueFields names the columns of the violated unique constraint, looked
// up in the generated schema (index names are ent's; a Unique() column's
// constraint is PostgreSQL's <table>_<column>_key, the primary key's
// <table>_pkey). The scoping columns
// tenant_id and user_id are left out: "email" conflicts, not "tenant_id".
func uniqueFields(pgErr *pgconn.PgError) []string {
	var cols []string
	for _, t := range entmigrate.Tables {
		if t.Name != pgErr.TableName {
			continue
		}
		for _, idx := range t.Indexes {
			if idx.Name == pgErr.ConstraintName {
				for _, c := range idx.Columns {
					cols = append(cols, c.Name)
				}
			}
		}
		if t.Name+"_pkey" == pgErr.ConstraintName {
			for _, c := range t.PrimaryKey {
				cols = append(cols, c.Name)
			}
		}
		for _, c := range t.Columns {
			if c.Unique && t.Name+"_"+c.Name+"_key" == pgErr.ConstraintName {
				cols = append(cols, c.Name)
			}
		}
	}
	out := cols[:0]
	for _, c := range cols {
		if c != "tenant_id" && c != "user_id" {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		return []string{pgErr.ConstraintName}
	}
	return out
}
