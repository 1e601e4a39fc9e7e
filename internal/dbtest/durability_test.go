package dbtest

import (
	"testing"
)

// TestEmbeddedSettingsDurable: DBTEST_DURABLE=1 turns fsync,
// full_page_writes and synchronous_commit back on for the embedded
// clusters, and the default leaves them off (fast tests).
//
// Deliberate bug it catches: the durable settings not applied (or applied
// always), which would make "durable" benchmark figures fsync-off ones.
func TestEmbeddedSettingsDurable(t *testing.T) {
	for _, durable := range []bool{false, true} {
		s := embeddedSettings(durable)
		_, hasFsync := s["fsync"]
		if hasFsync != durable || (durable && (s["fsync"] != "on" || s["full_page_writes"] != "on" || s["synchronous_commit"] != "on")) {
			t.Errorf("durable=%v: settings %v", durable, s)
		}
		if s["max_connections"] != clusterSettings["max_connections"] {
			t.Errorf("durable=%v: lost the cluster settings: %v", durable, s)
		}
	}
	if _, ok := clusterSettings["fsync"]; ok {
		t.Error("embeddedSettings changed the shared clusterSettings")
	}
}

// TestDurabilityOfTheTestCluster reads the settings back from the server
// this test binary uses: they must match what the harness claims, so a
// benchmark's "durable" metric says what the server really did.
func TestDurabilityOfTheTestCluster(t *testing.T) {
	h, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	d, err := queryDurability(ctxT(t), h.admin)
	if err != nil {
		t.Fatal(err)
	}
	got := h.durability
	if d.Fsync != got.Fsync || d.FullPageWrites != got.FullPageWrites || d.SynchronousCommit != got.SynchronousCommit {
		t.Fatalf("harness says %s, server says %s", &got, &d)
	}
	if shared.durable != (d.Fsync == "on" && d.FullPageWrites == "on") && h.embedded {
		t.Errorf("%s=%v but the embedded cluster runs %s", DurableEnv, shared.durable, &d)
	}
	if h.embedded && !shared.durable && got.Durable() {
		t.Errorf("a default embedded cluster claims to be durable: %s", &got)
	}
}

// TestBenchmarksReportDurability: a benchmark that takes a database from
// New states in its result whether the cluster was durable.
//
// Deliberate bug it catches: the metric reported before B.Loop (which
// resets metrics) or not at all.
func TestBenchmarksReportDurability(t *testing.T) {
	h, err := shared.harness()
	if err != nil {
		t.Fatal(err)
	}
	res := testing.Benchmark(func(b *testing.B) {
		New(b, Empty())
		for b.Loop() {
		}
	})
	v, ok := res.Extra["durable"]
	if !ok {
		t.Fatalf("benchmark result %v lacks the durable metric", res.Extra)
	}
	if want := h.durability.Durable(); (v == 1) != want {
		t.Errorf("durable metric %v, want %v (%s)", v, want, &h.durability)
	}
}
