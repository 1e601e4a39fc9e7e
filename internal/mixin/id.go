package mixin

import (
	"database/sql/driver"

	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	entmixin "entgo.io/ent/schema/mixin"
)

// RichID is the constraint on entity ID types: the types of package entityid,
// which carry their prefix and know how to travel to PostgreSQL as a uuid.
type RichID interface {
	comparable
	driver.Valuer
	Prefix() string
}

// ID is the primary-key mixin: a uuid column holding a ULID of type T,
// defaulted in Go by newID.
type ID[T RichID] struct {
	entmixin.Schema
	prefix string
	newID  func() T
}

// NewID declares an entity's rich-ID prefix and its ID constructor, e.g.
//
//	mixin.NewID("tenant", entityid.NewTenantID)
//
// This call is the declaration the generator reads: `go generate ./ent`
// parses ent/schema for it (without compiling) and writes the ID type
// (entityid.TenantID, NewTenantID, ParseTenantID, ...) with this prefix
// before ent loads the schema, so a new entity needs no other list. The
// prefix is public (URLs, logs): never change one that has shipped.
func NewID[T RichID](prefix string, newID func() T) ID[T] {
	return ID[T]{prefix: prefix, newID: newID}
}

// Fields declares the typed uuid primary key.
func (m ID[T]) Fields() []ent.Field {
	var zero T
	return []ent.Field{
		field.UUID("id", zero).
			Default(m.newID).
			Immutable().
			Comment("ULID stored as uuid; shown outside as " + zero.Prefix() + "-<ULID>"),
	}
}

// Annotations records the declared prefix and the ID type's own prefix; the
// code generator refuses a mismatch (a constructor of another entity's ID).
func (m ID[T]) Annotations() []schema.Annotation {
	var zero T
	return []schema.Annotation{RichIDAnnotation{Prefix: m.prefix, TypePrefix: zero.Prefix()}}
}

// RichIDAnnotation carries an entity's rich-ID prefix from the schema to the
// code generator, which refuses duplicates and malformed prefixes.
type RichIDAnnotation struct {
	Prefix     string `json:"prefix"`      // as declared in mixin.NewID
	TypePrefix string `json:"type_prefix"` // as reported by the ID type
}

// RichIDAnnotationName is the key under which the annotation is stored in
// ent's generated graph.
const RichIDAnnotationName = "RichID"

// Name implements schema.Annotation.
func (RichIDAnnotation) Name() string { return RichIDAnnotationName }

// exampleID stands in for an entityid type in the compile-time check below, which
// would otherwise need this package to import its users.
type exampleID struct{}

func (exampleID) Value() (driver.Value, error) { return nil, nil }
func (exampleID) Prefix() string               { return "example" }

var _ ent.Mixin = ID[exampleID]{}
