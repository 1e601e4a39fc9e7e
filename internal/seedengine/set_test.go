package seedengine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/central/central/internal/config"
	"github.com/central/central/internal/seedengine"
)

func noop(context.Context, deps) error { return nil }

func TestLoad(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		env     config.Env
		files   fstest.MapFS
		funcs   []string
		want    []string // loaded names, in order
		wantErr []string // substrings of the error; nil means success
	}{
		{
			name:  "sorted by file name, non-seed files ignored",
			env:   config.Development,
			files: fstest.MapFS{"0002_b.go": file("b"), "0001_a.go": file("a"), "doc.go": file(""), "seeds.go": file(""), "seeds_test.go": file(""), "README.md": file("")},
			funcs: []string{"0001_a", "0002_b"},
			want:  []string{"0001_a", "0002_b"},
		},
		{
			name:    "file without a function",
			env:     config.Development,
			files:   fstest.MapFS{"0001_a.go": file("a"), "0002_orphan.go": file("b")},
			funcs:   []string{"0001_a"},
			wantErr: []string{"0002_orphan: file has no function"},
		},
		{
			name:    "function without a file",
			env:     config.Development,
			files:   fstest.MapFS{"0001_a.go": file("a")},
			funcs:   []string{"0001_a", "0002_ghost"},
			wantErr: []string{"0002_ghost: function in the Seeds() table has no file 0002_ghost.go"},
		},
		{
			name:    "production file without the PROD prefix",
			env:     config.Production,
			files:   fstest.MapFS{"PROD_0001_a.go": file("a"), "0002_b.go": file("b")},
			funcs:   []string{"PROD_0001_a", "0002_b"},
			wantErr: []string{`0002_b: production seed files must start with "PROD"`, "PROD_0002_b.go"},
		},
		{
			name:  "production files with the prefix",
			env:   config.Production,
			files: fstest.MapFS{"PROD_0001_a.go": file("a")},
			funcs: []string{"PROD_0001_a"},
			want:  []string{"PROD_0001_a"},
		},
		{
			name:    "badly formed name",
			env:     config.Development,
			files:   fstest.MapFS{"0001-a.go": file("a")},
			funcs:   []string{"0001-a"},
			wantErr: []string{"0001-a: name must be letters, digits and underscores"},
		},
		{
			name:    "every problem at once",
			env:     config.Production,
			files:   fstest.MapFS{"0001_a.go": file("a"), "PROD_0002_b.go": file("b")},
			funcs:   []string{"0001_a", "PROD_0003_c"},
			wantErr: []string{"0001_a: production", "PROD_0002_b: file has no function", "PROD_0003_c: function"},
		},
		{
			name:    "test is not a seed directory",
			env:     config.Test,
			files:   fstest.MapFS{},
			wantErr: []string{`set environment "test" is not a seed directory`},
		},
		{
			name:    "nil sources",
			env:     config.Development,
			wantErr: []string{"Sources is nil"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := seedengine.Set[deps]{Env: tt.env, Funcs: map[string]seedengine.Func[deps]{}}
			if tt.files != nil {
				s.Sources = tt.files
			}
			for _, f := range tt.funcs {
				s.Funcs[f] = noop
			}
			got, err := s.Load()
			if tt.wantErr != nil {
				if !errors.Is(err, seedengine.ErrInvalidSet) {
					t.Fatalf("Load error = %v, want ErrInvalidSet", err)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			var names []string
			for _, s := range got {
				names = append(names, s.Name)
				if len(s.SHA256) != 64 {
					t.Errorf("%s: sha256 %q is not 64 hex digits", s.Name, s.SHA256)
				}
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.want) {
				t.Errorf("names = %v, want %v", names, tt.want)
			}
		})
	}
}

func TestLoadHashIsTheFileSHA256(t *testing.T) {
	s := seedengine.Set[deps]{Env: config.Development, Sources: fstest.MapFS{"0001_a.go": {Data: []byte("hello")}},
		Funcs: map[string]seedengine.Func[deps]{"0001_a": noop}}
	got, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	// sha256("hello")
	if want := "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"; got[0].SHA256 != want {
		t.Errorf("SHA256 = %s, want %s", got[0].SHA256, want)
	}
}

func TestIsSeedFile(t *testing.T) {
	for name, want := range map[string]bool{
		"0001_technova.go":      true,
		"PROD_0001_base.go":     true,
		"doc.go":                false,
		"seeds.go":              false,
		"seeds_test.go":         false,
		"0001_technova_test.go": false,
		"notes.md":              false,
	} {
		if got := seedengine.IsSeedFile(name); got != want {
			t.Errorf("IsSeedFile(%q) = %v, want %v", name, got, want)
		}
	}
}

func ExampleSet_Load() {
	s := seedengine.Set[struct{}]{
		Env: config.Production,
		Sources: fstest.MapFS{
			"doc.go":                 {Data: []byte("package production")},
			"PROD_0001_base_data.go": {Data: []byte("package production // ...")},
			"0002_forgot_prefix.go":  {Data: []byte("package production // ...")},
		},
		Funcs: map[string]seedengine.Func[struct{}]{
			"PROD_0001_base_data": func(context.Context, struct{}) error { return nil },
			"0002_forgot_prefix":  func(context.Context, struct{}) error { return nil },
		},
	}
	_, err := s.Load()
	fmt.Println(err)
	// Output:
	// seed: invalid production seed set:
	//   0002_forgot_prefix: production seed files must start with "PROD": rename it to PROD_0002_forgot_prefix.go
}
