// Package scale holds the scale benchmark suite: how the app's keyed reads,
// tenant-scoped lists, writes and the JSONB profile filter
// (UserService.ListByProfile, profile @> under row-level security, GIN
// index available; the plan chosen is printed per size) cost as the users
// table grows from 10³ to 10⁶ rows across 1,000 tenants, on a durable
// cluster (fsync, full_page_writes and synchronous_commit on).
//
// It is benchmarks only (scale_test.go): `go test ./...` compiles it and runs
// nothing. The suite starts its own embedded PostgreSQL when a benchmark runs,
// loads the data with COPY inside the benchmark function, and prints the
// server settings it used and the load average next to every size:
//
//	go test ./bench/scale -run '^$' -bench Scale -benchtime 1000x -timeout 60m | tee bench/scale.txt
//	go run ./bench/plot -scale bench/scale.txt -out docs/bench
//
// SCALE_MAX_USERS caps the largest size (default 1000000), for a quick run.
// See BENCHMARKS.md for figures and plots.
package scale
