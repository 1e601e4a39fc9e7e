package seedengine_test

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

// failingFS is a seed directory whose listing, or one of whose files,
// cannot be read (embed.FS never fails; a hand-made fs.FS can).
type failingFS struct {
	fstest.MapFS
	failDir  bool
	failFile string
}

var errUnreadable = errors.New("unreadable")

func (f failingFS) ReadDir(name string) ([]fs.DirEntry, error) {
	if f.failDir {
		return nil, errUnreadable
	}
	return f.MapFS.ReadDir(name)
}

func (f failingFS) Open(name string) (fs.File, error) {
	if name == f.failFile {
		return nil, errUnreadable
	}
	return f.MapFS.Open(name)
}

func (f failingFS) ReadFile(name string) ([]byte, error) {
	if name == f.failFile {
		return nil, errUnreadable
	}
	return f.MapFS.ReadFile(name)
}

// TestLoadEdges: Load refuses an unreadable directory or seed file, and a
// Seeds() entry whose function is nil; several problems come sorted by
// name. Mutants: the two read errors swallowed (a set loaded without its
// seeds, or hashed without its file), `!ok || fn == nil` made `&&` (a nil
// function loaded, to panic at run time), the problems' sort dropped
// (their order then follows map iteration).
func TestLoadEdges(t *testing.T) {
	files := fstest.MapFS{"0001_a.go": {Data: []byte("a")}, "0002_b.go": {Data: []byte("b")}}
	funcs := map[string]seedengine.Func[deps]{"0001_a": noop, "0002_b": noop}
	for _, tt := range []struct {
		name  string
		set   seedengine.Set[deps]
		want  string
		isErr error
	}{
		{"unreadable directory", seedengine.Set[deps]{Env: config.Development, Sources: failingFS{MapFS: files, failDir: true}, Funcs: funcs}, "read development seed sources", errUnreadable},
		{"unreadable seed file", seedengine.Set[deps]{Env: config.Development, Sources: failingFS{MapFS: files, failFile: "0002_b.go"}, Funcs: funcs}, "read seed file 0002_b.go", errUnreadable},
		{"nil function", seedengine.Set[deps]{Env: config.Development, Sources: files, Funcs: map[string]seedengine.Func[deps]{"0001_a": noop, "0002_b": nil}}, "0002_b: file has no function", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seeds, err := tt.set.Load()
			if err == nil || !strings.Contains(err.Error(), tt.want) || (tt.isErr != nil && !errors.Is(err, tt.isErr)) {
				t.Fatalf("Load = %d seeds, %v; want an error with %q", len(seeds), err, tt.want)
			}
		})
	}

	// Problems sorted by name, whatever the map order: many functions
	// without files, so a lost sort shows on (nearly) every run.
	many := map[string]seedengine.Func[deps]{}
	var want []string
	for _, n := range []string{"0009_i", "0008_h", "0007_g", "0006_f", "0005_e", "0004_d", "0003_c", "0002_b", "0001_a"} {
		many[n] = noop
		want = append(want, n)
	}
	slices.Sort(want)
	for range 5 {
		_, err := seedengine.Set[deps]{Env: config.Development, Sources: fstest.MapFS{}, Funcs: many}.Load()
		var se *seedengine.SetError
		if !errors.As(err, &se) {
			t.Fatalf("Load = %v, want *SetError", err)
		}
		var got []string
		for _, p := range se.Problems {
			got = append(got, p.Name)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("problems in order %v, want %v", got, want)
		}
	}
}
