package service_test

import (
	"fmt"
	"testing"

	"github.com/central/central/internal/entityid"
	"github.com/central/central/internal/service"
)

func TestListPagination(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	tn, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "pages", DisplayName: "Pages"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.svc.Tenants.TxCreateTenant(ctx, service.CreateTenantInput{Slug: "others", DisplayName: "Others"})
	if err != nil {
		t.Fatal(err)
	}
	var want []entityid.UserID
	for i := range 7 {
		u, err := e.svc.Users.TxCreateUser(ctx, tn.ID, service.CreateUserInput{
			Email: fmt.Sprintf("u%d@pages.example", i), Tags: map[string]string{"b": "2", "a": "1"},
		})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, u.ID)
		// Interleave another tenant's users: they must never show up.
		if _, err := e.svc.Users.TxCreateUser(ctx, other.ID, service.CreateUserInput{Email: fmt.Sprintf("o%d@others.example", i)}); err != nil {
			t.Fatal(err)
		}
	}

	tests := []struct {
		limit int
		sizes []int
	}{
		{limit: 3, sizes: []int{3, 3, 1}},
		{limit: 7, sizes: []int{7}},
		{limit: 1, sizes: []int{1, 1, 1, 1, 1, 1, 1}},
		{limit: 0, sizes: []int{7}}, // DefaultLimit
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("limit=%d", tt.limit), func(t *testing.T) {
			var got []entityid.UserID
			var sizes []int
			var after entityid.UserID
			for range 20 {
				p, err := e.svc.Users.List(ctx, tn.ID, after, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				sizes = append(sizes, len(p.Items))
				for _, u := range p.Items {
					got = append(got, u.ID)
					if len(u.Tags) != 2 || u.Tags[0].Key != "a" || u.Tags[1].Key != "b" {
						t.Fatalf("user %s tags = %+v, want a, b", u.ID, u.Tags)
					}
				}
				if !p.HasMore {
					if !p.Next.IsZero() {
						t.Fatalf("last page has cursor %s", p.Next)
					}
					break
				}
				if p.Next != p.Items[len(p.Items)-1].ID {
					t.Fatalf("Next = %s, want the last item's ID", p.Next)
				}
				after = p.Next
			}
			if fmt.Sprint(sizes) != fmt.Sprint(tt.sizes) {
				t.Errorf("page sizes = %v, want %v", sizes, tt.sizes)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("ids = %v, want %v (in creation order)", got, want)
			}
		})
	}

	// The other lists page the same way.
	tp, err := e.svc.Tenants.List(ctx, entityid.TenantID{}, 1)
	if err != nil || len(tp.Items) != 1 || !tp.HasMore || tp.Items[0].ID != tn.ID {
		t.Fatalf("tenants page 1 = %+v, %v", tp, err)
	}
	tp, err = e.svc.Tenants.List(ctx, tp.Next, 1)
	if err != nil || len(tp.Items) != 1 || tp.HasMore || tp.Items[0].ID != other.ID {
		t.Fatalf("tenants page 2 = %+v, %v", tp, err)
	}
}
