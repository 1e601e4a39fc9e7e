// Package loop holds no code: its tests run the README's "Add an entity"
// loop end to end in a temporary copy of the module (new schema file, one
// edge on Tenant, go generate ./..., go run ./cmd/dbdiff --apply, then the
// generated typed and tenant-scoped API against the migrated database), and
// benchmark it.
//
// # Figures
//
// Measured 2026-12-01 on the 2-core development machine while five other
// sessions were building and testing (load average 17–35, so wall times are
// several times what an idle machine gives; the CPU time of the go commands
// and their children is the load-independent figure). The databases are
// the test clusters (fsync off); they account for a small part of the loop.
//
//	go test ./internal/entgen/loop -run '^$' -bench AddEntityLoop -benchtime=2x
//	  new loop (go generate ./... + go run ./cmd/dbdiff --apply): 32.1 s wall, 6.0 s CPU
//	  old loop (go generate ./... + go run ./cmd/app db diff, no apply),
//	  interleaved in the same run:                                 162.9 s wall, 26.1 s CPU
//
//	go test ./internal/entgen/loop -run '^$' -bench 'GenerateScale/entities=(10|100)$' -benchtime=1x
//	  10 synthetic entities:  go generate ./ent 21.3 s wall, 5.7 s CPU; dbdiff 7.6 s wall, 1.4 s CPU
//	  100 synthetic entities: go generate ./ent 131 s wall, 26.9 s CPU; dbdiff 15.8 s wall, 2.0 s CPU
package loop
