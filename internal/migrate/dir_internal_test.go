package migrate

import (
	"fmt"
	"testing"

	"ariga.io/atlas/sql/migrate"
)

// countingDir counts how often the directory is listed and hashed.
type countingDir struct {
	*migrate.MemDir
	files, sums int
}

func (d *countingDir) Files() ([]migrate.File, error) { d.files++; return d.MemDir.Files() }

func (d *countingDir) Checksum() (migrate.HashFile, error) { d.sums++; return d.MemDir.Checksum() }

// TestFrozenDirHashesOnce: however often atlas asks (once per applied file
// in Executor.Execute, plus Validate and Pending), the directory is listed
// once and never hashed again (freeze hashes the files itself, see
// hashFiles). Making frozenDir.Checksum or Files call through brings back
// the O(n²) apply and fails this test.
func TestFrozenDirHashesOnce(t *testing.T) {
	mem := &migrate.MemDir{}
	for i := 1; i <= 50; i++ {
		if err := mem.WriteFile(fmt.Sprintf("%014d_t%d.sql", i, i), fmt.Appendf(nil, "CREATE TABLE t%d (id int);\n", i)); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := mem.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	if err := migrate.WriteSumFile(mem, sum); err != nil {
		t.Fatal(err)
	}
	cd := &countingDir{MemDir: mem}
	fd, err := freeze(cd)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate(fd); err != nil {
		t.Fatal(err)
	}
	files, _ := fd.Files()
	for _, f := range files { // what Executor.Execute does for each file
		hf, err := fd.Checksum()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := hf.SumByName(f.Name()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := analyze(fd, nil); err != nil {
		t.Fatal(err)
	}
	if cd.sums != 0 || cd.files != 1 {
		t.Errorf("directory hashed %d times and listed %d times by atlas, want 0 and 1", cd.sums, cd.files)
	}
	// The cached results are the directory's.
	got, _ := fd.Checksum()
	if gb, _ := got.MarshalText(); string(gb) != string(must(sum.MarshalText())) {
		t.Errorf("cached checksum differs:\n%s\nwant\n%s", gb, must(sum.MarshalText()))
	}
	if len(files) != 50 || files[0].Name() != "00000000000001_t1.sql" {
		t.Errorf("files = %d, first %s", len(files), files[0].Name())
	}
	// A caller cannot change the cache through the returned slices.
	files[0] = nil
	if again, _ := fd.Files(); again[0] == nil {
		t.Error("Files returned the cached slice itself")
	}
	if err := fd.WriteFile("x.sql", nil); err == nil {
		t.Error("WriteFile on a frozen directory succeeded")
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// TestHashFilesMatchesAtlas: hashFiles is byte for byte atlas's NewHashFile,
// including files whose first line carries atlas directives (sum ignore
// drops the file from the sum, txmode does not), which it leaves to atlas.
func TestHashFilesMatchesAtlas(t *testing.T) {
	plain := "CREATE TABLE a (id int);\n"
	tests := []struct {
		name  string
		files [][2]string
	}{
		{"empty", nil},
		{"plain", [][2]string{{"1_a.sql", plain}, {"2_b.sql", "CREATE TABLE b (id int);\n-- atlas:sum ignore later is not a directive\n"}}},
		{"sum ignore", [][2]string{{"1_a.sql", plain}, {"2_b.sql", "-- atlas:sum ignore\nCREATE TABLE b (id int);\n"}, {"3_c.sql", plain}}},
		{"txmode", [][2]string{{"1_a.sql", "-- atlas:txmode none\n\nCREATE INDEX CONCURRENTLY i ON a (id);\n"}, {"2_b.sql", plain}}},
		{"no newline, non-ASCII", [][2]string{{"1_a.sql", "SELECT 'é'; -- atlas:sum ignore"}, {"2_b.sql", ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []migrate.File
			for _, f := range tt.files {
				files = append(files, migrate.NewLocalFile(f[0], []byte(f[1])))
			}
			want, err := migrate.NewHashFile(files)
			if err != nil {
				t.Fatal(err)
			}
			got, err := hashFiles(files)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := must(got.MarshalText()), must(want.MarshalText()); string(g) != string(w) {
				t.Errorf("hashFiles:\n%s\natlas:\n%s", g, w)
			}
		})
	}
}
