package entgen_test

import (
	"testing"

	entpkg "github.com/central/central/ent"
	"github.com/central/central/internal/entityid"
)

// TestForTenantAllocatesOnce: a tenant scope, read-write or read-only, is
// one allocation whatever the number of tenant-owned entities (the scoped
// clients and their config live in one struct; the guard and the tenant
// interceptor are built once per Client by newConfig and read the scope
// from the config). ForTenant runs once per service operation, so its cost
// is on every request's path (BenchmarkRowSecurity).
//
// Deliberate bug it catches (tried): ForTenant (tenantscope.tmpl) building
// each scoped client as &<Entity>ScopedClient{c: New<Entity>Client(cfg)}
// instead of inside the scope's struct: 11 allocations.
func TestForTenantAllocatesOnce(t *testing.T) {
	c := entpkg.NewClient()
	ro := c.ReadOnly()
	tid := entityid.TenantID{1}
	var sink any
	for name, f := range map[string]func(){
		"Client.ForTenant":         func() { sink = c.ForTenant(tid) },
		"ReadOnlyClient.ForTenant": func() { sink = ro.ForTenant(tid) },
	} {
		if n := testing.AllocsPerRun(100, f); n != 1 {
			t.Errorf("%s: %v allocations per call, want 1", name, n)
		}
	}
	_ = sink
}

// BenchmarkForTenant reports the cost of making a tenant scope.
func BenchmarkForTenant(b *testing.B) {
	c := entpkg.NewClient()
	ro := c.ReadOnly()
	tid := entityid.TenantID{1}
	b.Run("read-write", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if c.ForTenant(tid).TenantID() != tid {
				b.Fatal("wrong tenant")
			}
		}
	})
	b.Run("read-only", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if ro.ForTenant(tid).TenantID() != tid {
				b.Fatal("wrong tenant")
			}
		}
	})
}
