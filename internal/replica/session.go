package replica

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// Querier runs a single-row query. *sql.DB, *sql.Conn and *sql.Tx satisfy it.
type Querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Session tracks what one unit of work (typically one HTTP request) has
// written, so that its later reads observe those writes. It is safe for
// concurrent use. Create one with [NewSession]; the zero value is not used.
type Session struct {
	mu       sync.Mutex
	writes   uint64 // committed writes marked so far
	resolved uint64 // value of writes covered by token
	token    Token  // highest LSN this session must observe
}

type sessionKey struct{}

// NewSession returns a copy of ctx carrying a new, clean [Session]. Call it
// once per unit of work, e.g. in HTTP middleware.
func NewSession(ctx context.Context) context.Context {
	return context.WithValue(ctx, sessionKey{}, &Session{})
}

// FromContext returns the [Session] carried by ctx, if any.
func FromContext(ctx context.Context) (*Session, bool) {
	s, ok := ctx.Value(sessionKey{}).(*Session)
	return s, ok
}

// MarkWrite records that the session in ctx committed a write: until its
// token is resolved again with [Session.Token], the session's reads go to the
// primary. Call it after the commit, not before. It reports false, and does
// nothing, when ctx carries no session.
func MarkWrite(ctx context.Context) bool {
	s, ok := FromContext(ctx)
	if !ok {
		return false
	}
	s.mu.Lock()
	s.writes++
	s.mu.Unlock()
	return true
}

// WithToken returns a context whose reads observe at least tok (for example a
// token a client sent back). If ctx already carries a session, that session
// keeps the higher of its token and tok and ctx is returned unchanged;
// otherwise a new session is attached. A zero tok changes nothing.
func WithToken(ctx context.Context, tok Token) context.Context {
	s, ok := FromContext(ctx)
	if !ok {
		if tok.IsZero() {
			return ctx
		}
		s = &Session{}
		ctx = context.WithValue(ctx, sessionKey{}, s)
	}
	s.mu.Lock()
	s.token = max(s.token, tok)
	s.mu.Unlock()
	return ctx
}

// currentWALQuery returns a WAL position at or after the end of every commit
// record already inserted. The insert position (rather than pg_current_wal_lsn,
// the write position) is correct even for commits made with
// synchronous_commit=off, whose commit record may not be written yet.
const currentWALQuery = "SELECT pg_current_wal_insert_lsn()::text"

// Token returns the token covering every write marked so far. When writes were
// marked since the last call it asks the primary through q for its current WAL
// position (one round trip); otherwise it returns the known token without I/O.
// q must reach the primary, not a replica. The zero Token means the session
// neither wrote nor imported a token.
func (s *Session) Token(ctx context.Context, q Querier) (Token, error) {
	if q == nil {
		return 0, errors.New("replica: resolve session token: querier is nil: pass the primary's *sql.DB")
	}
	return s.resolve(ctx, querierRow(q))
}

func (s *Session) resolve(ctx context.Context, row rowFunc) (Token, error) {
	s.mu.Lock()
	writes, resolved, tok := s.writes, s.resolved, s.token
	s.mu.Unlock()
	if writes == resolved {
		return tok, nil
	}
	lsn, err := queryLSN(ctx, row, currentWALQuery)
	if err != nil {
		return 0, fmt.Errorf("replica: resolve session token: %w", err)
	}
	s.mu.Lock()
	s.resolved = max(s.resolved, writes)
	s.token = max(s.token, lsn)
	tok = s.token
	s.mu.Unlock()
	return tok, nil
}

// requirement returns the LSN reads must observe, or dirty=true when a write
// was marked whose LSN is not resolved yet (reads must then use the primary).
func (s *Session) requirement() (need Token, dirty bool) {
	s.mu.Lock()
	need, dirty = s.token, s.writes != s.resolved
	s.mu.Unlock()
	return need, dirty
}

// rowFunc runs a query and scans its only row into dest.
type rowFunc func(ctx context.Context, query string, dest ...any) error

func querierRow(q Querier) rowFunc {
	return func(ctx context.Context, query string, dest ...any) error {
		return q.QueryRowContext(ctx, query).Scan(dest...)
	}
}

// driverRow runs single-row queries through an ent SQL driver or
// transaction.
func driverRow(drv dialect.ExecQuerier) rowFunc {
	return func(ctx context.Context, query string, dest ...any) error {
		var rows entsql.Rows
		if err := drv.Query(ctx, query, []any{}, &rows); err != nil {
			return err
		}
		defer rows.Close()
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return err
			}
			return sql.ErrNoRows
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		return rows.Close()
	}
}

func queryLSN(ctx context.Context, row rowFunc, query string) (Token, error) {
	var text sql.NullString
	if err := row(ctx, query, &text); err != nil {
		return 0, err
	}
	if !text.Valid {
		return 0, fmt.Errorf("%s returned NULL", query)
	}
	return ParseToken(text.String)
}
