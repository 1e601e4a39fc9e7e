package migrate

import "time"

// SetStepReportEvery sets how often a batched Go step reports its progress
// (default 1 s), so tests can pin the reporting without timing.
func SetStepReportEvery(m *Migrator, d time.Duration) { m.stepReportEvery = d }
