package loop_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/central/central/internal/dbtest"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

// projectSchema is the whole hand-written part of a new tenant-owned
// entity with one sealed field (besides one edge line on Tenant).
const projectSchema = `package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/mixin"
)

// Project is a tenant's project.
type Project struct{ ent.Schema }

// Mixin of Project: its ID prefix and its tenancy.
func (Project) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("project", entityid.NewProjectID), mixin.Timestamps{}, mixin.TenantOwned{}}
}

// Fields of Project.
func (Project) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty(),
		field.Other("credentials", jsonb.SealedOIDCConnectorState{}).SchemaType(jsonbType).Optional().Sensitive(),
	}
}

// Edges of Project.
func (Project) Edges() []ent.Edge {
	return []ent.Edge{edge.From("tenant", Tenant.Type).Ref("projects").Field("tenant_id").Unique().Required().Immutable()}
}
`

const tenantEdgeAnchor = "\t\tedge.To(\"stored_objects\", StoredObject.Type).Annotations(entsql.OnDelete(entsql.Cascade)),\n"
const tenantEdge = "\t\tedge.To(\"projects\", Project.Type).Annotations(entsql.OnDelete(entsql.Cascade)),\n"

// probe uses the generated API of the new entity; it is compiled and run in
// the temporary module after generation.
const probe = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/central/central/ent"
	"github.com/central/central/ent/project"
	"github.com/central/central/internal/entgen/isolation"
	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/entmeta"
	"github.com/central/central/internal/pgxdriver"
)

func main() {
	if err := run(context.Background(), os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println("probe ok")
}

func run(ctx context.Context, url string) error {
	// The app's driver: it carries the tenant of a ForTenant scope to the
	// row-level-security policies the diff wrote for the new table.
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	c := ent.NewClient(ent.Driver(pgxdriver.New(pool)))
	var tenants []entityid.TenantID
	for _, slug := range []string{"loop-a", "loop-b"} {
		tn, err := c.Tenant.Create().SetSlug(slug).SetDisplayName(slug).Save(ctx)
		if err != nil {
			return fmt.Errorf("create tenant: %w", err)
		}
		tenants = append(tenants, tn.ID)
		for _, name := range []string{"alpha", "beta"} {
			p, err := c.ForTenant(tn.ID).Project.Create().SetName(name).Save(ctx)
			if err != nil {
				return fmt.Errorf("create project: %w", err)
			}
			var id entityid.ProjectID = p.ID
			if got, err := entityid.ParseProjectID(id.String()); err != nil || got != id || id.Prefix() != "project" {
				return fmt.Errorf("typed ID %s: %v %v", id, got, err)
			}
			got, err := c.ReadOnly().ForTenant(tn.ID).Project.Get(ctx, p.ID)
			if err != nil || got.Name != name || got.TenantID != tn.ID {
				return fmt.Errorf("get project: %+v %v", got, err)
			}
		}
		list, err := c.ForTenant(tn.ID).Project.Query().Order(ent.Asc(project.FieldName)).All(ctx)
		if err != nil || len(list) != 2 || list[0].Name != "alpha" {
			return fmt.Errorf("list projects: %v %v", list, err)
		}
	}
	var found bool
	for _, e := range ent.Entities() {
		if e.Name == "Project" {
			found = e.Tenancy == entmeta.TenantOwned && e.Prefix == "project" && len(e.Sealed) == 1
		}
	}
	sealed := false
	for _, col := range ent.SealedColumns() {
		sealed = sealed || col.String() == "projects.credentials"
	}
	if !found || !sealed {
		return fmt.Errorf("metadata: Entities has Project %v, SealedColumns has projects.credentials %v", found, sealed)
	}
	return isolation.Check(ctx, c, tenants[0], tenants[1], "Project")
}
`

// moduleRoot is the repository root (this package is internal/entgen/loop).
func moduleRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(err)
	}
	return root
}

// copyModule copies the working tree (not .git, .data or dot-directories)
// to dst.
func copyModule(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel != "." && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// module is a temporary copy of the module with commands run inside it.
type module struct {
	t   testing.TB
	dir string
	env []string
	cpu time.Duration // user+system time of the commands run so far (children included)
}

func newModule(t testing.TB, devURL string) *module {
	t.Helper()
	dir := t.TempDir()
	// postgres (when the test runs as root, as the postgres user) must not
	// need to reach it; only go commands run here.
	copyModule(t, moduleRoot(t), dir)
	// -trimpath keys the build cache by import path, not directory, so the
	// packages the change does not touch are reused from earlier runs.
	env := append(os.Environ(), "GOFLAGS=-trimpath", "DEV_DATABASE_URL="+devURL)
	return &module{t: t, dir: dir, env: env}
}

func (m *module) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = m.dir, m.env
	out, err := cmd.CombinedOutput()
	if cmd.ProcessState != nil {
		// go's children (compiler, linker, the program run) are waited
		// for by go, so their time is included in its rusage.
		m.cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return string(out), err
}

func (m *module) must(name string, args ...string) string {
	m.t.Helper()
	start := time.Now()
	out, err := m.run(name, args...)
	if err != nil {
		m.t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	m.t.Logf("%s %s: %v", name, strings.Join(args, " ")[:min(60, len(strings.Join(args, " ")))], time.Since(start).Round(10*time.Millisecond))
	return out
}

func (m *module) write(rel, content string) {
	m.t.Helper()
	if err := os.WriteFile(filepath.Join(m.dir, rel), []byte(content), 0o644); err != nil {
		m.t.Fatal(err)
	}
}

func (m *module) addProject() {
	m.t.Helper()
	m.write("ent/schema/project.go", projectSchema)
	tenant := filepath.Join(m.dir, "ent/schema/tenant.go")
	b, err := os.ReadFile(tenant)
	if err != nil {
		m.t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(tenantEdgeAnchor)) {
		m.t.Fatalf("tenant.go no longer has the line the test adds the edge after:\n%s", tenantEdgeAnchor)
	}
	m.write("ent/schema/tenant.go", strings.Replace(string(b), tenantEdgeAnchor, tenantEdgeAnchor+tenantEdge, 1))
}

// generatedState hashes every file under ent/ and internal/entityid.
func (m *module) generatedState() string {
	m.t.Helper()
	h := sha256.New()
	for _, d := range []string{"ent", "internal/entityid"} {
		err := filepath.WalkDir(filepath.Join(m.dir, d), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			b, err := os.ReadFile(p)
			fmt.Fprintf(h, "%s %x\n", p, sha256.Sum256(b))
			return err
		})
		if err != nil {
			m.t.Fatal(err)
		}
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// TestAddEntityLoop runs the README's "Add an entity" steps on a tenant-owned
// Project with one sealed field, in a temporary copy of the module:
// go generate ./... (from a tree where entityid.ProjectID does not exist
// yet), go generate ./ent again (idempotent: nothing changes), the diff
// command with --apply, and then the generated typed, scoped API: create,
// get and list, the metadata (Entities, SealedColumns) and the generic
// tenant-isolation check, with no test code naming Project beyond the
// probe's create/get/list.
//
// It also proves that a failed generation leaves the tree as it was: a
// schema that does not compile makes go generate ./ent fail, and every
// file under ent/ and internal/entityid is byte-identical afterwards.
//
// Deliberate bugs it catches: generating ./ent before the ID types (the
// original "undefined: entityid.NewProjectID"), writing into ent/ before
// the generation succeeded (the failure leaves changed files), and
// everything the probe uses missing from the templates.
func TestAddEntityLoop(t *testing.T) {
	admin := dbtest.New(t, dbtest.Empty())
	target := dbtest.New(t, dbtest.Empty())
	m := newModule(t, admin.AdminURL)

	// A failed generation changes nothing.
	start := time.Now()
	before := m.generatedState()
	m.write("ent/schema/broken.go", "package schema\n\nvar _ = undefinedThing\n")
	if out, err := m.run("go", "generate", "./ent"); err == nil {
		t.Fatalf("go generate ./ent succeeded on a schema that does not compile:\n%s", out)
	}
	if err := os.Remove(filepath.Join(m.dir, "ent/schema/broken.go")); err != nil {
		t.Fatal(err)
	}
	if after := m.generatedState(); after != before {
		t.Fatal("a failed go generate ./ent changed files under ent/ or internal/entityid")
	}

	t.Logf("failed generation: %v", time.Since(start).Round(10*time.Millisecond))
	m.addProject()
	m.must("go", "generate", "./...")
	generated := m.generatedState()
	m.must("go", "generate", "./ent")
	if again := m.generatedState(); again != generated {
		t.Error("a second go generate ./ent changed generated files: not idempotent")
	}
	out := m.must("go", "run", "./cmd/dbdiff", "--apply", target.URL, "add_projects")
	if !strings.Contains(out, "add_projects") {
		t.Errorf("dbdiff output does not name the new migration:\n%s", out)
	}
	files, _ := filepath.Glob(filepath.Join(m.dir, "migrations", "*_add_projects.sql"))
	if len(files) != 1 {
		t.Fatalf("migration files: %v", files)
	}
	sql, _ := os.ReadFile(files[0])
	if !regexp.MustCompile(`CREATE TABLE "projects"`).Match(sql) {
		t.Errorf("migration does not create projects:\n%s", sql)
	}
	// Tenancy is declared once, in the schema: the diff derives the table's
	// row-level security from it.
	for _, want := range []string{`ALTER TABLE "projects" ENABLE ROW LEVEL SECURITY`, `ALTER TABLE "projects" FORCE ROW LEVEL SECURITY`, `CREATE POLICY`} {
		if !strings.Contains(string(sql), want) {
			t.Errorf("migration lacks %q:\n%s", want, sql)
		}
	}
	if err := os.MkdirAll(filepath.Join(m.dir, "cmd/loopprobe"), 0o755); err != nil {
		t.Fatal(err)
	}
	m.write("cmd/loopprobe/main.go", probe)
	if out := m.must("go", "run", "./cmd/loopprobe", target.URL); !strings.Contains(out, "probe ok") {
		t.Errorf("probe output:\n%s", out)
	}
	m.must("go", "run", "./cmd/dbdiff", "add_projects_again") // and the schema now agrees with the directory
	if files, _ := filepath.Glob(filepath.Join(m.dir, "migrations", "*_add_projects_again.sql")); len(files) != 0 {
		t.Errorf("a second diff wrote %v: the diff is not stable", files)
	}
}

// BenchmarkAddEntityLoop measures the warm loop from the saved schema to
// the migration written and applied: go generate ./... and go run
// ./cmd/dbdiff --apply (with DEV_DATABASE_URL, the test cluster). Each
// iteration adds a differently named entity, so ent really recompiles, and
// also runs, interleaved in another copy, the old loop (go generate ./...
// then go run ./cmd/app db diff, which links the server; without the
// apply) so the two compare under the same load. Besides wall time it
// reports the CPU time of the commands (cpu-s/op; generate-s/op and
// generate-cpu-s/op are the go generate ./... part), which a loaded
// machine does not inflate: on 2 idle cores the wall time is at least
// cpu-s/2. The CPU of the PostgreSQL servers (the replay, the apply) is
// not counted.
// Run: go test ./internal/entgen/loop -run '^$' -bench AddEntityLoop -benchtime=3x
func BenchmarkAddEntityLoop(b *testing.B) {
	admin := dbtest.New(b, dbtest.Empty())
	var cpu, appWall, appCPU, genWall, genCPU time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		name := fmt.Sprintf("Project%d%d", time.Now().UnixNano()%1e6, i)
		target := dbtest.New(b, dbtest.Empty())
		m := newModule(b, admin.AdminURL)
		m.addNamedEntity(name)
		b.StartTimer()
		start := time.Now()
		m.must("go", "generate", "./...")
		genWall += time.Since(start)
		genCPU += m.cpu
		m.must("go", "run", "./cmd/dbdiff", "--apply", target.URL, "add_"+strings.ToLower(name))
		b.StopTimer()
		cpu += m.cpu

		old := newModule(b, admin.AdminURL)
		old.addNamedEntity(name + "x")
		start = time.Now()
		old.must("go", "generate", "./...")
		old.must("go", "run", "./cmd/app", "db", "diff", "add_"+strings.ToLower(name)+"x")
		appWall += time.Since(start)
		appCPU += old.cpu
		b.StartTimer()
	}
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(genWall.Seconds()/float64(b.N), "generate-s/op")
	b.ReportMetric(genCPU.Seconds()/float64(b.N), "generate-cpu-s/op")
	b.ReportMetric(appWall.Seconds()/float64(b.N), "app-diff-loop-s/op")
	b.ReportMetric(appCPU.Seconds()/float64(b.N), "app-diff-loop-cpu-s/op")
}

// addNamedEntity adds the Project schema renamed to name, and its edge.
func (m *module) addNamedEntity(name string) {
	m.t.Helper()
	lower := strings.ToLower(name)
	schema := strings.NewReplacer("Project", name, `"project"`, fmt.Sprintf("%q", lower),
		`Ref("projects")`, fmt.Sprintf(`Ref("%ss")`, lower)).Replace(projectSchema)
	m.write("ent/schema/"+lower+".go", schema)
	tenant := filepath.Join(m.dir, "ent/schema/tenant.go")
	tb, err := os.ReadFile(tenant)
	if err != nil {
		m.t.Fatal(err)
	}
	m.write("ent/schema/tenant.go", strings.Replace(string(tb), tenantEdgeAnchor,
		tenantEdgeAnchor+fmt.Sprintf("\t\tedge.To(%q, %s.Type).Annotations(entsql.OnDelete(entsql.Cascade)),\n", lower+"s", name), 1))
}

// synthEntity is a tenant-owned entity with a few fields and an index, for
// the generation scale benchmark.
const synthEntity = `package schema

import (
	"entgo.io/ent"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/mixin"
)

type Synth%[1]d struct{ ent.Schema }

func (Synth%[1]d) Mixin() []ent.Mixin {
	return []ent.Mixin{mixin.NewID("synth%[1]d", entityid.NewSynth%[1]dID), mixin.Timestamps{}, mixin.TenantOwned{}}
}

func (Synth%[1]d) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").NotEmpty().MaxLen(100),
		field.Int64("size").NonNegative(),
		field.Bool("enabled").Default(true),
	}
}

func (Synth%[1]d) Indexes() []ent.Index { return []ent.Index{index.Fields("tenant_id", "name").Unique()} }
`

// BenchmarkGenerateScale measures go generate ./ent and the diff command
// (go run ./cmd/dbdiff, replaying on DEV_DATABASE_URL) with 10, 50 and 100
// synthetic tenant-owned entities added to the schema, in a temporary copy
// of the module (issue 17's goal: at most 30 s each at 100 entities).
// Run: go test ./internal/entgen/loop -run '^$' -bench GenerateScale -benchtime=1x
func BenchmarkGenerateScale(b *testing.B) {
	admin := dbtest.New(b, dbtest.Empty())
	for _, n := range []int{10, 50, 100} {
		b.Run(fmt.Sprintf("entities=%d", n), func(b *testing.B) {
			var gen, diff, genCPU, diffCPU time.Duration
			for b.Loop() {
				b.StopTimer()
				m := newModule(b, admin.AdminURL)
				// A comment unique to the run makes every schema file new to
				// the build cache, so a repeat run is not flattered by the
				// last one's compiled packages.
				salt := fmt.Sprintf("\n// run %d\n", time.Now().UnixNano())
				for i := range n {
					m.write(fmt.Sprintf("ent/schema/synth%d.go", i), fmt.Sprintf(synthEntity, i)+salt)
				}
				b.StartTimer()
				start := time.Now()
				m.must("go", "generate", "./ent")
				gen += time.Since(start)
				g := m.cpu
				genCPU += g
				start = time.Now()
				m.must("go", "run", "./cmd/dbdiff", "synth")
				diff += time.Since(start)
				diffCPU += m.cpu - g
			}
			b.ReportMetric(gen.Seconds()/float64(b.N), "generate-s/op")
			b.ReportMetric(diff.Seconds()/float64(b.N), "diff-s/op")
			b.ReportMetric(genCPU.Seconds()/float64(b.N), "generate-cpu-s/op")
			b.ReportMetric(diffCPU.Seconds()/float64(b.N), "diff-cpu-s/op")
		})
	}
}
