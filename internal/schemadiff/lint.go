package schemadiff

import (
	"context"
	"fmt"
	"strings"

	"ariga.io/atlas/schemahcl"
	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlcheck"
	"ariga.io/atlas/sql/sqlcheck/destructive"
)

// Finding is one destructive change found by lint.
type Finding struct {
	Code      string // atlas analyzer code (DS102, DS103, ...) or ours (CD-IDX, CT-NARROW)
	Text      string
	Statement string
}

// lint reports destructive changes in plan: atlas's destructive analyzer
// (dropped schema, table, column) plus what it does not cover: dropped
// indexes and column type changes that may not preserve data.
func lint(ctx context.Context, plan *migrate.Plan) ([]Finding, error) {
	file := migrate.NewLocalFile(plan.Name+".sql", nil)
	pass := &sqlcheck.Pass{File: &sqlcheck.File{File: file}}
	var findings []Finding
	for i, c := range plan.Changes {
		if c.Source == nil {
			continue
		}
		// Pos identifies the statement a diagnostic points at.
		pass.File.Changes = append(pass.File.Changes, &sqlcheck.Change{
			Changes: schema.Changes{c.Source},
			Stmt:    &migrate.Stmt{Pos: i, Text: c.Cmd},
		})
		findings = append(findings, extraFindings(c)...)
	}
	az, err := destructive.New(&schemahcl.Resource{})
	if err != nil {
		return nil, fmt.Errorf("create destructive analyzer: %w", err)
	}
	// Report, don't fail: the caller decides with AllowDestructive.
	noError := false
	az.Error = &noError
	pass.Reporter = sqlcheck.ReportWriterFunc(func(r sqlcheck.Report) {
		for _, d := range r.Diagnostics {
			findings = append(findings, Finding{Code: d.Code, Text: d.Text, Statement: stmtAt(pass.File, d.Pos)})
		}
	})
	if err := az.Analyze(ctx, pass); err != nil {
		return nil, fmt.Errorf("lint migration: %w", err)
	}
	return findings, nil
}

// stmtAt finds the statement a diagnostic points at.
func stmtAt(f *sqlcheck.File, pos int) string {
	for _, c := range f.Changes {
		if c.Stmt.Pos == pos {
			return c.Stmt.Text
		}
	}
	return ""
}

func extraFindings(c *migrate.Change) []Finding {
	mt, ok := c.Source.(*schema.ModifyTable)
	if !ok {
		return nil
	}
	var out []Finding
	for _, ch := range mt.Changes {
		switch ch := ch.(type) {
		case *schema.DropIndex:
			out = append(out, Finding{Code: "CD-IDX", Text: fmt.Sprintf("Dropping index %q of table %q", ch.I.Name, mt.T.Name), Statement: c.Cmd})
		case *schema.ModifyColumn:
			if ch.Change.Is(schema.ChangeType) && !widens(ch.From.Type.Type, ch.To.Type.Type) {
				from, _ := postgres.FormatType(ch.From.Type.Type)
				to, _ := postgres.FormatType(ch.To.Type.Type)
				out = append(out, Finding{Code: "CT-NARROW", Text: fmt.Sprintf("Changing type of column %q.%q from %s to %s may lose or reject data", mt.T.Name, ch.From.Name, from, to), Statement: c.Cmd})
			}
		}
	}
	return out
}

// widens reports type changes that keep every existing value.
func widens(from, to schema.Type) bool {
	switch f := from.(type) {
	case *schema.StringType:
		t, ok := to.(*schema.StringType)
		if !ok {
			return false
		}
		if t.T == postgres.TypeText {
			return true
		}
		return strings.EqualFold(f.T, t.T) && (t.Size == 0 || f.Size != 0 && t.Size >= f.Size)
	case *schema.IntegerType:
		t, ok := to.(*schema.IntegerType)
		return ok && intRank(t.T) >= intRank(f.T)
	case *schema.DecimalType:
		t, ok := to.(*schema.DecimalType)
		return ok && t.Scale >= f.Scale && t.Precision-t.Scale >= f.Precision-f.Scale
	case *schema.FloatType:
		t, ok := to.(*schema.FloatType)
		return ok && t.Precision >= f.Precision
	}
	return false
}

func intRank(t string) int {
	switch strings.ToLower(t) {
	case postgres.TypeSmallInt, postgres.TypeInt2:
		return 1
	case postgres.TypeInteger, postgres.TypeInt, postgres.TypeInt4:
		return 2
	case postgres.TypeBigInt, postgres.TypeInt8:
		return 3
	}
	return 0
}
