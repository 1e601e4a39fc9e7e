package dbtest

import (
	"context"
	"testing"
)

// TestEnvKnobsReachEveryCluster: DBTEST_DURABLE=1 and DBTEST_KEEP_FAILED=1
// apply to the pooled cluster and the pair as they do to the plain one: the
// server runs fsync, full_page_writes and synchronous_commit on, and a
// failed test's database is kept. Deliberate bugs: startPooled starting its
// own Ephemeral cluster with clusterSettings (its old copy of
// StartEmbeddedWith: fsync off); not setting keepFailed on the pooled or
// pair harness (the failed test's database dropped).
func TestEnvKnobsReachEveryCluster(t *testing.T) {
	t.Parallel()
	knobs := map[string]string{DurableEnv: "1", KeepFailedEnv: "1"}
	r := newResources(func(k string) string { return knobs[k] })
	r.mainCalled.Store(true)
	t.Cleanup(func() {
		if err := r.close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	for name, start := range map[string]func() (*Harness, error){
		"pooled": func() (*Harness, error) {
			env, err := r.pooled()
			if err != nil {
				return nil, err
			}
			return env.harness, nil
		},
		"pair": func() (*Harness, error) {
			env, err := r.pair()
			if err != nil {
				return nil, err
			}
			return env.harness, nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			h, err := start()
			if err != nil {
				t.Fatal(err)
			}
			d, err := queryDurability(ctxT(t), h.admin)
			if err != nil {
				t.Fatal(err)
			}
			if d.Fsync != "on" || d.FullPageWrites != "on" || d.SynchronousCommit != "on" {
				t.Errorf("%s=1 but the %s cluster runs %s", DurableEnv, name, &d)
			}
			if _, db := endFakeTest(t, h, true); !dbExists(t, h.AdminURL("postgres"), db.Name) {
				t.Errorf("%s=1 but the %s harness dropped a failed test's database", KeepFailedEnv, name)
			}
		})
	}
}
