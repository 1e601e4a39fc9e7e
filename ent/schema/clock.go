package schema

import "time"

// timeNow is the Go-side default of timestamp fields. ent defaults are static
// functions, so the clock cannot be injected here; services that need a
// controllable time set the field explicitly.
func timeNow() time.Time { return time.Now() }
