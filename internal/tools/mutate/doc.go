// Command mutate is the project's mutation tester: it breaks the code of a
// package on purpose, one small change at a time, runs that package's tests
// against each broken version, and reports which changes no test noticed.
//
// A surviving mutant is either a missing test or an equivalent change (one
// that cannot alter behaviour); docs/mutation.md records which.
//
// # Why not gremlins
//
// github.com/go-gremlins/gremlins v0.6.0 works on our packages, but it only
// mutates operators (boundaries, negated comparisons, arithmetic) and
// rebuilds the whole test binary for every mutant, which on this 2-core
// machine costs far more than our database tests themselves. The mutations
// that matter most here are a dropped statement, a swallowed error, an
// early return and a handful of named ones (a transaction swapped for the
// plain client, a different lock key), none of which gremlins makes.
//
// # How
//
// Mutant schemata: every generic mutant of a package is compiled into one
// test binary, each behind a switch (zzMutantOn(id)) that is off unless the
// environment variable CENTRAL_MUTANT names its id. The rewritten files are
// given to the compiler through `go test -overlay`, so the source tree is
// never touched, and every rewrite keeps line numbers. A first run with no
// mutant active records which switches the tests reach: the others are "not
// covered" and are not run. Each covered mutant then runs the test binary
// with -test.failfast under a timeout: a failing (or timed-out) run kills
// it, a passing one lets it live. A rewrite the compiler refuses (for
// instance a dropped statement that leaves a variable unused) is removed and
// counted "not viable". Named mutants are plain text replacements, compiled
// one by one.
//
// Generic mutations:
//
//   - boundary: < and <=, > and >= swapped;
//   - negate: == and != swapped, an if/for/switch-case condition negated,
//     && and || swapped;
//   - drop: a call, assignment, increment, defer or go statement removed
//     (but not the `defer cancel()` of a context.WithCancel/Timeout/
//     Deadline: go vet's lostcancel refuses that code, so it could not be
//     committed, and a test cannot observe the timer it leaks);
//   - return-early: a function returning nothing or only an error returns
//     (nil) at its first line;
//   - swallow: a returned error replaced by nil.
//
// # Usage
//
//	nice -n 10 go run ./internal/tools/mutate -o docs/mutation.md            # the default packages
//	go run ./internal/tools/mutate -match 'runner.go:1[0-9][0-9]' ./internal/seedengine
//
// Flags for partial runs: -match reruns the mutants whose description
// matches; -carry LOG counts the mutants an earlier run's log shows killed
// as killed without running them (new tests only add kills); -new REGEXP
// names the tests written since the last summary, so that each mutant also
// gets its outcome without them (the "score before" column); -sample N
// -seed S runs only N of a package's generic mutants, drawn at random with
// seed S (repeatable), for a package too slow to run whole: its score is an
// estimate, and the summary says "random sample". Before the
// schemata, each top-level test runs alone once to record which mutants it
// reaches; a mutant then runs only those tests. With TEST_DATABASE_URL set,
// dbtest uses that server instead of starting a cluster per test binary run,
// which makes database packages several times faster.
//
// It runs one mutant at a time; it is not part of .ci/run (it takes tens of
// minutes).
package main
