package schema

import "fmt"

func errLowercase(field string) error { return fmt.Errorf("schema: %s must be lowercase", field) }
