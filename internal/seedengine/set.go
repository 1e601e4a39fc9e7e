package seedengine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/central/central/internal/config"
)

// Func is one seed: it does its work through deps, whose services join the
// transaction ctx carries, so the work and the ledger row commit together.
type Func[D any] func(ctx context.Context, deps D) error

// Set is one environment's seed package: its embedded sources and the table
// naming its functions. A seed's name is its file name without ".go".
type Set[D any] struct {
	// Env is the directory the set comes from: config.Development for
	// internal/seed/development, config.Production for internal/seed/production.
	Env config.Env
	// Sources is the package's embedded source (`//go:embed *.go`); files
	// that are not seeds (doc.go, seeds.go, *_test.go) are ignored.
	Sources fs.FS
	// Funcs maps each seed name to its function.
	Funcs map[string]Func[D]
}

// Seed is one loaded seed: name, hash of its file, and function.
type Seed[D any] struct {
	Name   string
	SHA256 string // lowercase hex of the file's SHA-256
	Fn     Func[D]
}

// ProductionPrefix starts the name of every production seed, so a production
// seed is recognisable wherever its name appears (logs, ledger, reviews).
const ProductionPrefix = "PROD"

// nonSeedFiles are Go files a seed package may hold besides seeds.
var nonSeedFiles = map[string]bool{"doc.go": true, "seeds.go": true}

// seedName is what a seed's name may look like: a Go file name of letters,
// digits and underscores (it sorts, greps and pastes cleanly).
var seedName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_]*$`)

// IsSeedFile reports whether a file of a seed package is a seed (rather than
// doc.go, seeds.go, a test or a non-Go file).
func IsSeedFile(name string) bool {
	return strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") && !nonSeedFiles[name]
}

// Load reads, hashes, validates and sorts the set's seeds. Every problem is
// reported at once in a *SetError (matching ErrInvalidSet): a seed file
// without a function, a function without a file, a production file without
// the PROD prefix, a badly formed name.
func (s Set[D]) Load() ([]Seed[D], error) {
	serr := &SetError{Env: s.Env}
	switch s.Env {
	case config.Development, config.Production:
	default:
		serr.add("", fmt.Sprintf("set environment %q is not a seed directory; use config.Development or config.Production", s.Env))
		return nil, serr
	}
	if s.Sources == nil {
		serr.add("", "Sources is nil; embed the package's files with //go:embed *.go and pass the embed.FS")
		return nil, serr
	}
	entries, err := fs.ReadDir(s.Sources, ".")
	if err != nil {
		return nil, fmt.Errorf("seed: read %s seed sources: %w", s.Env, err)
	}
	var seeds []Seed[D]
	files := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() || !IsSeedFile(e.Name()) {
			continue
		}
		name := strings.TrimSuffix(e.Name(), ".go")
		files[name] = true
		if !seedName.MatchString(name) {
			serr.add(name, "name must be letters, digits and underscores, e.g. 0002_more_users.go")
			continue
		}
		if s.Env == config.Production && !strings.HasPrefix(name, ProductionPrefix) {
			serr.add(name, fmt.Sprintf("production seed files must start with %q: rename it to %s_%s.go", ProductionPrefix, ProductionPrefix, name))
			continue
		}
		fn, ok := s.Funcs[name]
		if !ok || fn == nil {
			serr.add(name, "file has no function in the package's Seeds() table: add an entry \""+name+"\": <func>")
			continue
		}
		b, err := fs.ReadFile(s.Sources, path.Clean(e.Name()))
		if err != nil {
			return nil, fmt.Errorf("seed: read seed file %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		seeds = append(seeds, Seed[D]{Name: name, SHA256: hex.EncodeToString(sum[:]), Fn: fn})
	}
	for name := range s.Funcs {
		if !files[name] {
			serr.add(name, "function in the Seeds() table has no file "+name+".go: a seed is a file, so its hash can guard it; add the file or remove the entry")
		}
	}
	if len(serr.Problems) > 0 {
		slices.SortFunc(serr.Problems, func(a, b Problem) int { return strings.Compare(a.Name, b.Name) })
		return nil, serr
	}
	slices.SortFunc(seeds, func(a, b Seed[D]) int { return strings.Compare(a.Name, b.Name) })
	return seeds, nil
}
