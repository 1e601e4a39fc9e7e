package schema

import (
	"errors"
	"fmt"
	"strings"
)

func errLowercase(field string) error { return fmt.Errorf("schema: %s must be lowercase", field) }

// noDoubleHyphen mirrors the slug_format CHECK: no "--" inside a slug.
func noDoubleHyphen(s string) error {
	if strings.Contains(s, "--") {
		return errors.New(`schema: slug must not contain "--"`)
	}
	return nil
}
