package pgserver

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkStartEphemeral measures initdb + start + role bootstrap + stop of
// a throwaway cluster, in the temporary directory ($TMPDIR).
func BenchmarkStartEphemeral(b *testing.B) {
	for b.Loop() {
		dir, err := os.MkdirTemp("", "pgserver-bench-")
		if err != nil {
			b.Fatal(err)
		}
		os.Chmod(dir, 0o755)
		s, err := Start(context.Background(), Config{DataDir: filepath.Join(dir, "pg"), Ephemeral: true})
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(dir)
	}
}

// BenchmarkRestart measures stopping and starting an existing cluster.
func BenchmarkRestart(b *testing.B) {
	dir, err := os.MkdirTemp("", "pgserver-bench-")
	if err != nil {
		b.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	defer os.RemoveAll(dir)
	cfg := Config{DataDir: filepath.Join(dir, "pg"), Ephemeral: true}
	s, err := Start(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := s.Stop(context.Background()); err != nil {
			b.Fatal(err)
		}
		if s, err = Start(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	s.Stop(context.Background())
}
