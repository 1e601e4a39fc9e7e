package config_test

import (
	"strings"
	"testing"

	"github.com/central/central/internal/config"
)

const directURL = "postgres://central:d1rect@primary.example:5432/central?sslmode=disable"

func TestPooler(t *testing.T) {
	external := func(extra map[string]string) map[string]string {
		m := map[string]string{"POSTGRES_READWRITE_URL": rwURL, "POSTGRES_READONLY_URL": roURL}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name       string
		env        map[string]string
		wantPooler config.Pooler
		wantDirect config.Conn
		wantErr    []string // variable: message fragment
	}{
		{name: "default none", env: external(nil), wantPooler: config.PoolerNone},
		{name: "explicit none", env: external(map[string]string{"POSTGRES_POOLER": "none"}), wantPooler: config.PoolerNone},
		{
			name:       "transaction with direct URL",
			env:        external(map[string]string{"POSTGRES_POOLER": "Transaction", "POSTGRES_DIRECT_URL": directURL}),
			wantPooler: config.PoolerTransaction,
			wantDirect: config.Conn{URL: directURL, PoolSize: 2, AppName: "pg_direct"},
		},
		{
			name: "transaction with direct parts and settings",
			env: external(map[string]string{"POSTGRES_POOLER": "transaction", "POSTGRES_DIRECT_HOST": "primary.example",
				"POSTGRES_DIRECT_DATABASE": "central", "POSTGRES_DIRECT_USER": "central", "POSTGRES_DIRECT_PASSWORD": "p@ss word",
				"POSTGRES_DIRECT_POOL_SIZE": "3", "POSTGRES_DIRECT_APP_NAME": "migrator"}),
			wantPooler: config.PoolerTransaction,
			wantDirect: config.Conn{URL: "postgres://central:p%40ss%20word@primary.example:5432/central", PoolSize: 3, AppName: "migrator"},
		},
		{
			name:    "transaction without direct URL",
			env:     external(map[string]string{"POSTGRES_POOLER": "transaction"}),
			wantErr: []string{"POSTGRES_DIRECT_URL: required with POSTGRES_POOLER=transaction", "advisory locks"},
		},
		{
			name:    "transaction on the embedded server",
			env:     map[string]string{"POSTGRES_POOLER": "transaction"},
			wantErr: []string{"POSTGRES_POOLER: transaction needs an external database"},
		},
		{
			name:    "direct URL is the pooler's",
			env:     external(map[string]string{"POSTGRES_POOLER": "transaction", "POSTGRES_DIRECT_URL": rwURL}),
			wantErr: []string{"POSTGRES_DIRECT_URL: is the same as POSTGRES_READWRITE_URL"},
		},
		{
			name:    "unknown pooler",
			env:     external(map[string]string{"POSTGRES_POOLER": "session"}),
			wantErr: []string{`POSTGRES_POOLER: "session" is not one of none, transaction`},
		},
		{
			name:    "direct URL without pooler",
			env:     external(map[string]string{"POSTGRES_DIRECT_URL": directURL}),
			wantErr: []string{"POSTGRES_DIRECT_URL: only used with POSTGRES_POOLER=transaction"},
		},
		{
			name:    "direct pool size without pooler",
			env:     external(map[string]string{"POSTGRES_DIRECT_POOL_SIZE": "4"}),
			wantErr: []string{"POSTGRES_DIRECT_URL: only used with POSTGRES_POOLER=transaction"},
		},
		{
			name:    "bad direct URL, secret not echoed",
			env:     external(map[string]string{"POSTGRES_POOLER": "transaction", "POSTGRES_DIRECT_URL": "mysql://u:hunter2@h/db"}),
			wantErr: []string{"POSTGRES_DIRECT_URL: is not a postgres URL"},
		},
		{
			name:    "direct URL and parts",
			env:     external(map[string]string{"POSTGRES_POOLER": "transaction", "POSTGRES_DIRECT_URL": directURL, "POSTGRES_DIRECT_HOST": "h"}),
			wantErr: []string{"POSTGRES_DIRECT_HOST: conflicts with POSTGRES_DIRECT_URL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.env))
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Load succeeded, want errors %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "d1rect") {
					t.Errorf("error echoes a password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Postgres.Pooler != tt.wantPooler || c.Postgres.Direct != tt.wantDirect {
				t.Fatalf("pooler %v direct %+v, want %v %+v", c.Postgres.Pooler, c.Postgres.Direct, tt.wantPooler, tt.wantDirect)
			}
			if s := c.String(); strings.Contains(s, "d1rect") || strings.Contains(s, "p@ss") {
				t.Fatalf("String leaks the direct password: %s", s)
			}
			if tt.wantPooler == config.PoolerTransaction && !strings.Contains(c.String(), "pooler=transaction direct={url=") {
				t.Fatalf("String does not show the pooler: %s", c.String())
			}
		})
	}
}
