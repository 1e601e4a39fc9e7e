package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestRunRefusesBadInvocations covers the paths that need no database: each
// must fail with its exit code and say what to do.
func TestRunRefusesBadInvocations(t *testing.T) {
	noEnv := func(string) (string, bool) { return "", false }
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no name", nil, 2, "exactly one NAME"},
		{"two names", []string{"a", "b"}, 2, "exactly one NAME"},
		{"unknown flag", []string{"--nope", "a"}, 2, "flag provided but not defined"},
		{"help", []string{"--help"}, 0, "usage: dbdiff"},
		{"no atlas directory", []string{"--dir", t.TempDir(), "add_x"}, 1, "no Atlas directory at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(context.Background(), tt.args, &out, &errb, noEnv); code != tt.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.code, errb.String())
			}
			if !strings.Contains(errb.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", errb.String(), tt.want)
			}
		})
	}
}
