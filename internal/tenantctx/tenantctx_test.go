package tenantctx_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/central/central/internal/tenantctx"
)

func TestWithFrom(t *testing.T) {
	ctx := context.Background()
	if _, ok := tenantctx.From(ctx); ok {
		t.Fatal("empty context carries a tenant")
	}
	id := [16]byte{0x01, 0x8c, 0x2f, 0x3a, 0xbc, 0xde, 0xf0, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0xff}
	got, ok := tenantctx.From(tenantctx.With(ctx, id))
	if !ok || got != tenantctx.ID(id) {
		t.Fatalf("From = %v, %v; want %v", got, ok, id)
	}
	if s, want := got.String(), "018c2f3a-bcde-f012-3456-789abcdef0ff"; s != want {
		t.Fatalf("String = %q, want %q", s, want)
	}
}

func ExampleWith() {
	ctx := tenantctx.With(context.Background(), [16]byte{15: 1})
	id, _ := tenantctx.From(ctx)
	fmt.Println(id.String())
	// Output: 00000000-0000-0000-0000-000000000001
}
