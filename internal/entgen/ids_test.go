package entgen_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/central/central/internal/entgen"
)

const schemaHeader = `package schema

import (
	"entgo.io/ent"

	"github.com/central/central/internal/entityid"
	m "github.com/central/central/internal/mixin"
)
`

func TestScanIDs(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  string   // "Name=prefix,..." when valid
		errs  []string // substrings of the error otherwise
	}{
		{
			name: "declarations with an aliased mixin import, sorted by name",
			files: map[string]string{
				"b.go": schemaHeader + `func (OIDCConnector) Mixin() []ent.Mixin { return []ent.Mixin{m.NewID("oidc_connector", entityid.NewOIDCConnectorID)} }`,
				"a.go": schemaHeader + `func (Project) Mixin() []ent.Mixin { return []ent.Mixin{m.NewID("project", entityid.NewProjectID)} }`,
				// Tests are not schema.
				"a_test.go": schemaHeader + `var _ = m.NewID("x", entityid.NewXID)`,
			},
			want: "OIDCConnector=oidc_connector,Project=project",
		},
		{
			name: "duplicate prefix and duplicate type",
			files: map[string]string{
				"a.go": schemaHeader + `var _ = m.NewID("p", entityid.NewPID)
var _ = m.NewID("p", entityid.NewQID)
var _ = m.NewID("r", entityid.NewQID)`,
			},
			errs: []string{`prefix "p" is already declared at a.go:9`, "entityid.NewQID is already declared at a.go:10"},
		},
		{
			name: "prefix not a literal, constructor not New<Name>ID, malformed prefix",
			files: map[string]string{
				"a.go": schemaHeader + `const p = "x"
var _ = m.NewID(p, entityid.NewXID)
var _ = m.NewID("y", entityid.MakeY)
var _ = m.NewID("Bad-Prefix", entityid.NewBadID)`,
			},
			errs: []string{"a.go:10: the prefix is not a string literal", "a.go:11: constructor entityid.MakeY is not named New<Name>ID", `a.go:12: prefix "Bad-Prefix"`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, src := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			decls, err := entgen.ScanIDs(dir)
			if len(tt.errs) > 0 {
				if !errors.Is(err, entgen.ErrInvalidSchema) {
					t.Fatalf("err = %v, want ErrInvalidSchema", err)
				}
				for _, w := range tt.errs {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\ndoes not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range decls {
				got = append(got, d.Name+"="+d.Prefix)
			}
			if strings.Join(got, ",") != tt.want {
				t.Errorf("got %v, want %s", got, tt.want)
			}
		})
	}
}

func TestRenderIDsKinds(t *testing.T) {
	src, err := entgen.RenderIDs([]entgen.IDDecl{{Name: "OIDCConnector", Prefix: "oidc_connector"}, {Name: "User", Prefix: "user"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"type oidcConnectorKind struct{}", "type userKind struct{}", `func (OIDCConnectorID) Prefix() string { return "oidc_connector" }`, "func ParseUserID(s string) (UserID, error)"} {
		if !strings.Contains(string(src), want) {
			t.Errorf("rendered IDs lack %q", want)
		}
	}
}
