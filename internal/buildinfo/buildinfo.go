package buildinfo

// Version is the app's version ("dev" in development builds). It is a type
// of its own so that fx can provide it unambiguously.
type Version string
