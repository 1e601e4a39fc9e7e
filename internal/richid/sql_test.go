package richid_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/central/central/internal/dbtest"
	"github.com/central/central/internal/richid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// The interfaces hold for entity ID types that embed richid.ID, which is how ent and pgx see them.
var (
	_ fmt.Stringer             = testID{}
	_ encoding.TextMarshaler   = testID{}
	_ encoding.TextAppender    = testID{}
	_ encoding.TextUnmarshaler = (*testID)(nil)
	_ driver.Valuer            = testID{}
	_ sql.Scanner              = (*testID)(nil)
	_ pgtype.UUIDValuer        = testID{}
	_ pgtype.UUIDScanner       = (*testID)(nil)
)

func TestValue(t *testing.T) {
	id := testID{richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMN")}
	v, err := id.Value()
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := v.(string); !ok || s != "0188bbba-fcec-4d7b-c98f-54661a9bf295" {
		t.Errorf("Value() = %#v (%T), want the UUID text as a string", v, v)
	}
	if u, _ := id.UUIDValue(); !u.Valid || u.Bytes != id.UUID() {
		t.Errorf("UUIDValue() = %v", u)
	}
}

func TestScan(t *testing.T) {
	want := richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	raw := want.UUID()
	tests := []struct {
		name string
		src  any
		err  error  // nil when accepted
		msg  string // substring of the error
	}{
		{name: "text", src: "0188bbba-fcec-4d7b-c98f-54661a9bf295"},
		{name: "upper text", src: "0188BBBA-FCEC-4D7B-C98F-54661A9BF295"},
		{name: "text bytes", src: []byte("0188bbba-fcec-4d7b-c98f-54661a9bf295")},
		{name: "raw bytes", src: raw[:]},
		{name: "array", src: raw},
		{name: "NULL", src: nil, err: richid.ErrNull, msg: "scan NULL into test ID: richid: NULL into a non-pointer ID; use a pointer"},
		{name: "bad text", src: "0188bbba-fcec-4d7b-c98f-54661a9bf29x", err: richid.ErrInvalid, msg: "byte 'x' at offset 35"},
		{name: "rich text", src: "test-01H2XVNZ7C9NXWK3TMCRD9QWMN", err: richid.ErrInvalid, msg: "UUID text is 31 bytes long"},
		{name: "short bytes", src: []byte{1, 2, 3}, err: richid.ErrInvalid, msg: "3 bytes, want 16 raw bytes or 36 bytes of UUID text"},
		{name: "int", src: int64(7), err: richid.ErrInvalid, msg: "scan int64 into test ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got testID
			err := got.Scan(tt.src)
			if tt.err == nil {
				if err != nil || got.ID != want {
					t.Errorf("Scan(%v) = %v, %v; want %v", tt.src, got, err, want)
				}
				return
			}
			if !errors.Is(err, tt.err) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Errorf("Scan(%v) error = %v, want %v containing %q", tt.src, err, tt.err, tt.msg)
			}
			if !got.IsZero() {
				t.Errorf("failed Scan changed the ID to %v", got)
			}
		})
	}
	var id testID
	if err := id.ScanUUID(pgtype.UUID{}); !errors.Is(err, richid.ErrNull) {
		t.Errorf("ScanUUID(NULL) = %v, want ErrNull", err)
	}
}

// TestPgxTypeMapUsesUUIDValuer checks, without a server, that pgx encodes and decodes an ID through
// UUIDValuer/UUIDScanner as 16 binary bytes. The driver.Valuer path would build a string and allocate.
func TestPgxTypeMapUsesUUIDValuer(t *testing.T) {
	m := pgtype.NewMap()
	id := testID{richid.MustParse[testKind]("test-01H2XVNZ7C9NXWK3TMCRD9QWMN")}
	var boxed any = id
	buf := make([]byte, 0, 64)
	got, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, boxed, buf)
	if err != nil {
		t.Fatal(err)
	}
	if u := id.UUID(); string(got) != string(u[:]) {
		t.Fatalf("binary encoding = %x, want %x", got, u)
	}
	if n := testing.AllocsPerRun(100, func() { _, _ = m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, boxed, buf) }); n != 0 {
		t.Errorf("encoding an ID allocates %v times; it should go through UUIDValuer", n)
	}

	var back testID
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, got, &back); err != nil || back != id {
		t.Fatalf("Scan = %v, %v", back, err)
	}
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, nil, &back); !errors.Is(err, richid.ErrNull) {
		t.Errorf("Scan(NULL) into testID = %v, want ErrNull", err)
	}
	var p *testID
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, nil, &p); err != nil || p != nil {
		t.Errorf("Scan(NULL) into *testID = %v, %v; want nil, nil", p, err)
	}
}

func TestMain(m *testing.M) { dbtest.Main(m) }

// connect opens a connection to a fresh, empty database with a table of uuid columns.
func connect(t *testing.T) *pgx.Conn {
	t.Helper()
	db := dbtest.New(t, dbtest.Empty())
	conn, err := pgx.Connect(t.Context(), db.URL)
	if err != nil {
		t.Fatalf("connect to %s: %v", db.Name, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(t.Context(), `CREATE TABLE richid_test (id uuid PRIMARY KEY, ref uuid)`); err != nil {
		t.Fatalf("create table: %v", err)
	}
	return conn
}

func TestPostgresPgx(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := connect(t)
	g := richid.Default()
	id := testID{richid.New[testKind](g)}
	ref := testID{richid.New[testKind](g)}

	modes := []pgx.QueryExecMode{pgx.QueryExecModeCacheStatement, pgx.QueryExecModeExec, pgx.QueryExecModeSimpleProtocol}
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			if _, err := conn.Exec(ctx, `DELETE FROM richid_test`); err != nil {
				t.Fatal(err)
			}
			var nilRef *testID
			if _, err := conn.Exec(ctx, `INSERT INTO richid_test (id, ref) VALUES ($1, $2), ($3, $4)`,
				mode, id, nilRef, ref, &id); err != nil {
				t.Fatalf("insert: %v", err)
			}

			var gotID, gotRef testID
			var gotNil *testID
			var text string
			err := conn.QueryRow(ctx, `SELECT a.id, a.ref, b.ref, b.id::text FROM richid_test a, richid_test b
				WHERE a.id = $1 AND b.id = $2`, mode, id, ref).Scan(&gotID, &gotNil, &gotRef, &text)
			if err != nil {
				t.Fatalf("select: %v", err)
			}
			if gotID != id || gotNil != nil || gotRef != id || text != ref.UUIDString() {
				t.Errorf("read back %v, %v, %v, %s; want %v, nil, %v, %s", gotID, gotNil, gotRef, text, id, id, ref.UUIDString())
			}

			// What the server receives: the UUID itself, never bytea, whatever the parameter's inferred type.
			var asText, typ string
			var equal bool
			err = conn.QueryRow(ctx, `SELECT $1::text, pg_typeof($1)::text, $2::uuid = $3::uuid`, mode,
				id, id, id.UUIDString()).Scan(&asText, &typ, &equal)
			if err != nil {
				t.Fatalf("select parameter: %v", err)
			}
			t.Logf("parameter type %s", typ)
			if asText != id.UUIDString() || typ == "bytea" || !equal {
				t.Errorf("parameter arrives as %q of type %s (equal %v); want %q, not bytea", asText, typ, equal, id.UUIDString())
			}

			err = conn.QueryRow(ctx, `SELECT NULL::uuid`, mode).Scan(&gotID)
			if !errors.Is(err, richid.ErrNull) {
				t.Errorf("NULL into testID: %v, want ErrNull", err)
			}
		})
	}

	// The zero ID is the nil UUID, which the seeds use.
	var zero testID
	var isNil bool
	if err := conn.QueryRow(ctx, `SELECT $1::uuid = '00000000-0000-0000-0000-000000000000'`, zero).Scan(&isNil); err != nil || !isNil {
		t.Errorf("zero ID is not the nil UUID: %v, %v", isNil, err)
	}
}

func TestPostgresDatabaseSQL(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	c := dbtest.New(t, dbtest.Empty()).OpenDB(t) // database/sql over pgx's stdlib driver
	if _, err := c.ExecContext(ctx, `CREATE TABLE richid_test (id uuid PRIMARY KEY, ref uuid)`); err != nil {
		t.Fatal(err)
	}

	id := testID{richid.New[testKind](richid.Default())}
	if _, err := c.ExecContext(ctx, `INSERT INTO richid_test (id, ref) VALUES ($1, $2)`, id, (*testID)(nil)); err != nil {
		t.Fatalf("insert: %v", err)
	}
	var got testID
	var gotNil *testID
	if err := c.QueryRowContext(ctx, `SELECT id, ref FROM richid_test WHERE id = $1`, id).Scan(&got, &gotNil); err != nil {
		t.Fatalf("select: %v", err)
	}
	if got != id || gotNil != nil {
		t.Errorf("read back %v, %v; want %v, nil", got, gotNil, id)
	}
	var asText, typ string
	if err := c.QueryRowContext(ctx, `SELECT $1::text, pg_typeof($1)::text`, id).Scan(&asText, &typ); err != nil {
		t.Fatalf("select parameter: %v", err)
	}
	if asText != id.UUIDString() || typ == "bytea" {
		t.Errorf("parameter arrives as %q of type %s; want %q, not bytea", asText, typ, id.UUIDString())
	}
	err := c.QueryRowContext(ctx, `SELECT ref FROM richid_test`).Scan(&got)
	if !errors.Is(err, richid.ErrNull) || !strings.Contains(err.Error(), "use a pointer") {
		t.Errorf("NULL into testID: %v, want ErrNull", err)
	}
}
