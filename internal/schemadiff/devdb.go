package schemadiff

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// scratch is a throwaway database on the dev server.
type scratch struct {
	admin *sql.DB
	name  string
	db    *sql.DB
}

// newScratch creates an empty database on the server behind devURL (whose
// role needs CREATEDB) and connects to it.
func newScratch(ctx context.Context, admin *sql.DB, devURL string) (*scratch, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("name scratch database: %w", err)
	}
	name := "schemadiff_" + hex.EncodeToString(b)
	// Parse first: nothing to clean up if the URL is bad.
	u, err := url.Parse(devURL)
	if err != nil {
		return nil, fmt.Errorf("parse dev URL: %w", err)
	}
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create scratch database on the dev server (the role needs CREATEDB): %w", err)
	}
	s := &scratch{admin: admin, name: name}
	u.Path = "/" + name
	if s.db, err = sql.Open("pgx", u.String()); err != nil {
		s.drop()
		return nil, fmt.Errorf("open scratch database: %w", err)
	}
	return s, nil
}

// drop closes and drops the scratch database; it runs on cleanup paths, so
// it uses its own context.
func (s *scratch) drop() {
	if s.db != nil {
		s.db.Close()
	}
	_, _ = s.admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+pgx.Identifier{s.name}.Sanitize()+" WITH (FORCE)")
}

func openAdmin(ctx context.Context, devURL string) (*sql.DB, error) {
	if devURL == "" {
		return nil, fmt.Errorf("schemadiff: empty dev database URL: start the embedded server (internal/pgserver) or configure a dev URL")
	}
	db, err := sql.Open("pgx", devURL)
	if err != nil {
		return nil, fmt.Errorf("open dev server: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to dev server: %w", err)
	}
	return db, nil
}
