package entgen_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	entpkg "github.com/central/central/ent"
	"github.com/central/central/ent/user"
	"github.com/central/central/internal/entmeta"
)

// getCall calls Get(ctx, id) on the client of entity name held by the
// struct behind holder (a read-only client or a tenant scope), with an ID
// whose bytes are id, and returns what Get returned.
func getCall(holder reflect.Value, name string, id [16]byte) (any, error) {
	c := holder.Elem().FieldByName(name)
	if !c.IsValid() {
		return nil, fmt.Errorf("%s has no client %s", holder.Type(), name)
	}
	get := c.MethodByName("Get")
	idType := get.Type().In(1)
	arg := reflect.New(idType).Elem()
	switch {
	case idType.ConvertibleTo(reflect.TypeOf(id)):
		arg = reflect.ValueOf(id).Convert(idType)
	case idType.Kind() == reflect.String: // AppMeta's key
		arg = reflect.ValueOf(fmt.Sprintf("key-%x", id[:2])).Convert(idType)
	default:
		return nil, fmt.Errorf("%s: ID type %s", name, idType)
	}
	out := get.Call([]reflect.Value{reflect.ValueOf(context.Background()), arg})
	err, _ := out[1].Interface().(error)
	return out[0].Interface(), err
}

// TestFastGetMatchesEnt gets an entity by ID, for every entity of
// ent.Entities(), through the read-only client and (tenant-owned ones)
// through the tenant scope, on a client with the generated get
// (sqlFastGet) and on one made WithoutFastPaths (ent's sqlgraph), each over
// a recording driver, and requires the same statements (text, arguments
// with their types, the tenant of the context) and the same error; the
// fast client must not go through sqlgraph for any entity with a single
// ID, and the slow one always must. Then it checks that a query the
// interceptors changed (a predicate, an order, an eager load, a lock, a
// field selection) leaves the fast path.
//
// Deliberate bugs it catches: a predicate dropped from or swapped in the
// generated statement, the tenant argument missing or passed after the ID,
// an ID passed by pointer, fastGetReady ignoring an interceptor's
// predicate, eager load or lock.
func TestFastGetMatchesEnt(t *testing.T) {
	tid := [16]byte{0xaa, 1}
	id := [16]byte{0xbb, 2}
	for _, e := range entpkg.Entities() {
		type side struct {
			name   string
			holder func(*entpkg.Client) reflect.Value
		}
		sides := []side{{"read-only", func(c *entpkg.Client) reflect.Value { return reflect.ValueOf(c.ReadOnly()) }}}
		if e.Tenancy == entmeta.TenantOwned || e.Tenancy == entmeta.TenantOwnedVia {
			sides = append(sides, side{"scope", func(c *entpkg.Client) reflect.Value {
				return reflect.ValueOf(c.ForTenant(tid))
			}})
		}
		for _, s := range sides {
			t.Run(e.Name+"/"+s.name, func(t *testing.T) {
				fastRec, slowRec := &recordingDriver{}, &recordingDriver{}
				fast := entpkg.NewClient(entpkg.Driver(fastRec))
				slow := entpkg.NewClient(entpkg.Driver(slowRec), entpkg.WithoutFastPaths())
				if e.Tenancy != entmeta.Global && s.name == "read-only" {
					// The unscoped read of a tenant-owned entity is refused
					// before any statement, alike on both.
					_, ferr := getCall(s.holder(fast), e.Name, id)
					_, serr := getCall(s.holder(slow), e.Name, id)
					if !errors.Is(ferr, entpkg.ErrUnscopedTenantQuery) || !errors.Is(serr, entpkg.ErrUnscopedTenantQuery) || len(fastRec.stmts)+len(slowRec.stmts) != 0 {
						t.Fatalf("unscoped get: fast %v, slow %v, %d+%d statements", ferr, serr, len(fastRec.stmts), len(slowRec.stmts))
					}
					return
				}
				_, ferr := getCall(s.holder(fast), e.Name, id)
				_, serr := getCall(s.holder(slow), e.Name, id)
				if fmt.Sprint(ferr) != fmt.Sprint(serr) {
					t.Errorf("errors differ: fast %v, ent's %v", ferr, serr)
				}
				if len(fastRec.stmts) != 1 || len(slowRec.stmts) != 1 {
					t.Fatalf("statements: fast %v, ent's %v; want one each", fastRec.stmts, slowRec.stmts)
				}
				f, sl := fastRec.stmts[0], slowRec.stmts[0]
				if f.Query != sl.Query || f.Tenant != sl.Tenant || !reflect.DeepEqual(f.Args, sl.Args) || fmt.Sprintf("%T", f.Args) != fmt.Sprintf("%T", sl.Args) {
					t.Errorf("fast get sent\n  %v\nent's sent\n  %v", f, sl)
				}
				for i := range sl.Args {
					if i < len(f.Args) && reflect.TypeOf(f.Args[i]) != reflect.TypeOf(sl.Args[i]) {
						t.Errorf("argument %d: fast %T, ent's %T", i, f.Args[i], sl.Args[i])
					}
				}
				// UserTag is owned via its user: its scope's predicate is a
				// subquery, and its scoped get keeps ent's path.
				wantFast := !(s.name == "scope" && e.Tenancy == entmeta.TenantOwnedVia)
				if f.SQLGraph == wantFast {
					t.Errorf("fast client went through sqlgraph: %v, want %v", f.SQLGraph, !wantFast)
				}
				if !sl.SQLGraph {
					t.Errorf("the WithoutFastPaths client did not go through sqlgraph")
				}
			})
		}
	}

	t.Run("a query an interceptor changed leaves the fast path", func(t *testing.T) {
		changes := []struct {
			name   string
			change func(*entpkg.UserQuery)
			args   int // the arguments ent's statement then has
		}{
			{"predicate", func(q *entpkg.UserQuery) { q.Where(user.EmailHasPrefix("x")) }, 3},
			{"order", func(q *entpkg.UserQuery) { q.Order(entpkg.Asc(user.FieldEmail)) }, 2},
			{"eager load", func(q *entpkg.UserQuery) { q.WithTags() }, 2},
			{"lock", func(q *entpkg.UserQuery) { q.ForUpdate() }, 2},
			{"field selection", func(q *entpkg.UserQuery) { q.Select(user.FieldEmail) }, 2},
		}
		for _, ch := range changes {
			for _, mode := range []string{"traverse", "intercept"} {
				rec := &recordingDriver{}
				c := entpkg.NewClient(entpkg.Driver(rec))
				change := func(q entpkg.Query) { ch.change(q.(*entpkg.UserQuery)) }
				if mode == "traverse" {
					c.User.Intercept(entpkg.TraverseFunc(func(_ context.Context, q entpkg.Query) error { change(q); return nil }))
				} else {
					c.User.Intercept(entpkg.InterceptFunc(func(next entpkg.Querier) entpkg.Querier {
						return entpkg.QuerierFunc(func(ctx context.Context, q entpkg.Query) (entpkg.Value, error) {
							change(q)
							return next.Query(ctx, q)
						})
					}))
				}
				_, _ = c.ForTenant(tid).User.Get(context.Background(), [16]byte(id))
				if len(rec.stmts) != 1 || !rec.stmts[0].SQLGraph || len(rec.stmts[0].Args) != ch.args {
					t.Errorf("%s by %s: sent %v; want ent's path with %d arguments", ch.name, mode, rec.stmts, ch.args)
				}
			}
		}
	})
}
