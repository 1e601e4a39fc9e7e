package schemadiff

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
	entschema "entgo.io/ent/dialect/sql/schema"
	"entgo.io/ent/schema/field"
)

// enum is a PostgreSQL enum type: its name and values in order.
type enum struct {
	Name   string
	Values []string
}

// desiredEnums collects the enum types the ent schema needs: enum fields
// with a postgres SchemaType. ent keeps such columns typed but never emits
// CREATE TYPE, so the diff does.
func desiredEnums(tables []*entschema.Table) ([]enum, error) {
	byName := map[string]enum{}
	owner := map[string]string{}
	for _, t := range tables {
		for _, c := range t.Columns {
			if c.Type != field.TypeEnum || c.SchemaType[dialect.Postgres] == "" {
				continue
			}
			name := c.SchemaType[dialect.Postgres]
			where := t.Name + "." + c.Name
			if prev, ok := byName[name]; ok {
				if !slices.Equal(prev.Values, c.Enums) {
					return nil, fmt.Errorf("schemadiff: enum type %q has values %v on %s but %v on %s: columns sharing a type must list the same values",
						name, prev.Values, owner[name], c.Enums, where)
				}
				continue
			}
			if len(c.Enums) == 0 {
				return nil, fmt.Errorf("schemadiff: enum column %s (type %q) has no values", where, name)
			}
			byName[name] = enum{Name: name, Values: slices.Clone(c.Enums)}
			owner[name] = where
		}
	}
	out := make([]enum, 0, len(byName))
	for _, e := range byName {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// currentEnums reads the enum types of the current schema of db.
func currentEnums(ctx context.Context, db *sql.DB) (map[string]enum, error) {
	rows, err := db.QueryContext(ctx, `SELECT t.typname, e.enumlabel FROM pg_type t
		JOIN pg_enum e ON e.enumtypid = t.oid
		JOIN pg_namespace n ON n.oid = t.typnamespace
		WHERE n.nspname = current_schema()
		ORDER BY t.typname, e.enumsortorder`)
	if err != nil {
		return nil, fmt.Errorf("read enum types: %w", err)
	}
	defer rows.Close()
	out := map[string]enum{}
	for rows.Next() {
		var name, label string
		if err := rows.Scan(&name, &label); err != nil {
			return nil, fmt.Errorf("read enum types: %w", err)
		}
		e := out[name]
		e.Name = name
		e.Values = append(e.Values, label)
		out[name] = e
	}
	return out, rows.Err()
}

// enumChanges returns the atlas changes turning current into desired: new
// types are added, new values appended; removing or reordering values is
// refused since PostgreSQL cannot do it in place.
func enumChanges(desired []enum, current map[string]enum) (added []schema.Change, altered []schema.Change, err error) {
	for _, d := range desired {
		c, ok := current[d.Name]
		if !ok {
			added = append(added, &schema.AddObject{O: &schema.EnumType{T: d.Name, Values: d.Values}})
			continue
		}
		if slices.Equal(c.Values, d.Values) {
			continue
		}
		var removed []string
		for _, v := range c.Values {
			if !slices.Contains(d.Values, v) {
				removed = append(removed, v)
			}
		}
		if len(removed) > 0 {
			return nil, nil, fmt.Errorf("%w: enum type %q loses value(s) %s; PostgreSQL cannot drop enum values: write that migration by hand (new type, ALTER COLUMN ... TYPE ... USING, DROP TYPE)",
				ErrUnsupported, d.Name, strings.Join(removed, ", "))
		}
		// Kept values must stay in order; atlas places new ones with BEFORE/AFTER.
		var kept []string
		for _, v := range d.Values {
			if slices.Contains(c.Values, v) {
				kept = append(kept, v)
			}
		}
		if !slices.Equal(kept, c.Values) {
			return nil, nil, fmt.Errorf("%w: enum type %q reorders its values (%v to %v); PostgreSQL cannot reorder enum values: keep the existing order",
				ErrUnsupported, d.Name, c.Values, d.Values)
		}
		altered = append(altered, &schema.ModifyObject{
			From: &schema.EnumType{T: c.Name, Values: c.Values},
			To:   &schema.EnumType{T: d.Name, Values: d.Values},
		})
	}
	return added, altered, nil
}
