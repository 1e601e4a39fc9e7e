package service_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/central/central/internal/service"
)

func ExampleWithActor() {
	ctx := service.WithActor(context.Background(), "user-01H2XVNZ7C9NXWK3TMCRD9QWMN")
	fmt.Println(service.ActorFrom(ctx))
	fmt.Printf("%q\n", service.ActorFrom(context.Background()))
	// Output:
	// user-01H2XVNZ7C9NXWK3TMCRD9QWMN
	// ""
}

// An HTTP layer maps the service errors to status codes with errors.Is.
func ExampleErrNotFound() {
	status := func(err error) int {
		switch {
		case errors.Is(err, service.ErrNotFound):
			return 404
		case errors.Is(err, service.ErrConflict):
			return 409
		case errors.Is(err, service.ErrInvalid):
			return 400
		}
		return 500
	}
	err := fmt.Errorf("get user: %w", &service.NotFoundError{Entity: "user", ID: "user-01H2XVNZ7C9NXWK3TMCRD9QWMN"})
	fmt.Println(status(err), err)
	fmt.Println(status(&service.ConflictError{Entity: "user", Fields: []string{"email"}, Constraint: "user_tenant_id_email"}))
	// Output:
	// 404 get user: service: user user-01H2XVNZ7C9NXWK3TMCRD9QWMN not found
	// 409
}
