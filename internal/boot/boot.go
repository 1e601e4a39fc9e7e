package boot

// Migrated is provided by the constructor that appends the boot-time
// migration hook (internal/app); taking it as a parameter orders a hook
// after the schema and Go data migrations are current. It is provided
// also when SKIP_MIGRATIONS skips the hook: the operator then vouches for
// the schema.
type Migrated struct{}

// Seeded is provided by the constructor that appends the boot-time seed
// hook (internal/seed); the HTTP server takes it, so it binds last.
type Seeded struct{}
