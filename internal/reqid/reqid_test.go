package reqid_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/central/central/internal/reqid"
)

func TestContext(t *testing.T) {
	tests := []struct {
		name   string
		ctx    context.Context
		want   string
		wantOK bool
	}{
		{"none", context.Background(), "", false},
		{"set", reqid.NewContext(context.Background(), "req-1"), "req-1", true},
		{"empty ignored", reqid.NewContext(context.Background(), ""), "", false},
		{"innermost wins", reqid.NewContext(reqid.NewContext(context.Background(), "a"), "b"), "b", true},
		{"other keys do not match", context.WithValue(context.Background(), struct{}{}, "x"), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := reqid.FromContext(tt.ctx)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("FromContext = %q, %v; want %q, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func ExampleNewContext() {
	ctx := reqid.NewContext(context.Background(), "01J9Z3Q7")
	id, ok := reqid.FromContext(ctx)
	fmt.Println(id, ok)
	// Output: 01J9Z3Q7 true
}
