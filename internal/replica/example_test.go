package replica_test

import (
	"context"
	"fmt"

	"github.com/central/central/internal/replica"
)

func ExampleToken_String() {
	tok := replica.Token(0x16_B374D848)
	s := tok.String() // e.g. sent to the client in a response header
	back, err := replica.ParseToken(s)
	fmt.Println(s, back == tok, err)
	fmt.Println(replica.Token(0), replica.Token(0).IsZero())
	// Output:
	// 16/B374D848 true <nil>
	// 0/0 true
}

func ExampleMarkWrite() {
	// Without a session nothing is tracked.
	fmt.Println(replica.MarkWrite(context.Background()))

	// Per request: a session, optionally seeded with the client's token.
	ctx := replica.NewSession(context.Background())
	tok, _ := replica.ParseToken("0/3016038")
	ctx = replica.WithToken(ctx, tok)

	// After a committed write the session's reads go to the primary until
	// Router.Token (or Session.Token) resolves the new position.
	fmt.Println(replica.MarkWrite(ctx))
	// Output:
	// false
	// true
}
