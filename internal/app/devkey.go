package app

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/sensitive/keyring"
)

// devKeyFile holds the development key for sensitive columns when none is
// configured, so `go run ./cmd/app` works with nothing set and the data it
// encrypted stays readable across runs.
const devKeyFile = "sensitive-dev.key"

// KeyringSpec returns the keyring configuration: SENSITIVE_KEYS when set;
// otherwise, outside production, a local key kept in DATA_DIR (created on
// first use, mode 0600).
func KeyringSpec(cfg config.Config) (keyring.Spec, error) {
	if cfg.Sensitive.Keys.IsSet() {
		return keyring.ParseSpec(cfg.Sensitive.Keys.Reveal(), cfg.Sensitive.CurrentKey.Reveal())
	}
	if cfg.Env == config.Production {
		return keyring.Spec{}, errors.New("SENSITIVE_KEYS is not set: production needs the keys that encrypt sensitive columns " +
			"(e.g. SENSITIVE_KEYS=prod:1=hashivault://central), there is no development key in production")
	}
	path := filepath.Join(cfg.DataDir, devKeyFile)
	key, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return keyring.Spec{}, fmt.Errorf("generate development key: %w", err)
		}
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return keyring.Spec{}, fmt.Errorf("create %s: %w", cfg.DataDir, err)
		}
		// Write a temporary file, then link it into place: link fails when
		// the key exists, so two processes starting at once never encrypt
		// with different keys, and neither reads a half-written file.
		tmp, err := os.CreateTemp(cfg.DataDir, devKeyFile+".*")
		if err != nil {
			return keyring.Spec{}, fmt.Errorf("create development key in %s: %w", cfg.DataDir, err)
		}
		defer os.Remove(tmp.Name())
		if _, err := tmp.Write(key); err != nil {
			tmp.Close()
			return keyring.Spec{}, fmt.Errorf("write development key: %w", err)
		}
		if err := tmp.Close(); err != nil {
			return keyring.Spec{}, fmt.Errorf("write development key: %w", err)
		}
		if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
			return KeyringSpec(cfg)
		} else if err != nil {
			return keyring.Spec{}, fmt.Errorf("install development key %s: %w", path, err)
		}
	case err != nil:
		return keyring.Spec{}, fmt.Errorf("read development key %s: %w", path, err)
	case len(key) != 32:
		return keyring.Spec{}, fmt.Errorf("development key %s holds %d bytes, want 32: restore it from a backup, "+
			"or delete it if nothing was encrypted with it yet", path, len(key))
	}
	url, err := keyring.LocalKeyURL(key)
	if err != nil {
		return keyring.Spec{}, err
	}
	return keyring.ParseSpec("dev:1="+url, "dev:1")
}
