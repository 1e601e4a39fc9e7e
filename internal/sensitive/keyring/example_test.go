package keyring_test

import (
	"context"
	"fmt"

	"github.com/central/central/internal/sensitive"
	"github.com/central/central/internal/sensitive/keyring"
)

func ExampleParseSpec() {
	// Normally os.Getenv("SENSITIVE_KEYS") and os.Getenv("SENSITIVE_CURRENT_KEY").
	keys := "local-2026:1=base64key://AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=,\n" +
		"local-2026:2=base64key://AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=,\n" +
		"vault:1=hashivault://central"
	spec, err := keyring.ParseSpec(keys, "local-2026:2")
	if err != nil {
		panic(err)
	}
	fmt.Println(spec) // key material redacted
	// Output:
	// keys=local-2026:1=base64key://[REDACTED],local-2026:2=base64key://[REDACTED],vault:1=hashivault://central current=local-2026:2
}

func ExampleOpen() {
	ctx := context.Background()
	spec, err := keyring.ParseSpec("app:1=base64key://AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=", "")
	if err != nil {
		panic(err)
	}
	kr, err := keyring.Open(ctx, spec)
	if err != nil {
		panic(err)
	}
	defer kr.Close()
	if err := kr.Check(ctx); err != nil { // probes every key service
		panic(err)
	}
	sealed, _ := sensitive.Seal(ctx, kr, map[string]string{"client_secret": "s3cr3t"})
	state, _ := sensitive.Open(ctx, kr, sealed)
	fmt.Println(kr.Current(), state["client_secret"])
	// Output:
	// app:1 s3cr3t
}
