package richid

import "go.uber.org/zap"

// Field returns a zap field that logs id in its rich form. It formats lazily, only when the entry is written.
// zap.Any(key, id) and zap.Stringer(key, id) do the same, since ID is a fmt.Stringer.
func Field[K Kind](key string, id ID[K]) zap.Field { return zap.Stringer(key, id) }
