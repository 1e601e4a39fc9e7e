// Package sysproctest checks, from a test, that a child started through
// internal/sysproc dies with the process that launched it (Pdeathsig): the
// one check internal/sysproc, internal/pgserver and internal/pgbouncer share
// to prove their wiring.
package sysproctest
