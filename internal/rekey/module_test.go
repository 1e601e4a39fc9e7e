package rekey_test

import (
	"testing"

	"go.uber.org/fx"
	"go.uber.org/fx/fxtest"
	"go.uber.org/zap/zaptest"

	"github.com/central/central/internal/rekey"
	"github.com/central/central/internal/sensitive"
)

func TestModule(t *testing.T) {
	e := newEnv(t)
	var job *rekey.Job
	app := fxtest.New(t,
		fx.Supply(zaptest.NewLogger(t), e.db, keyring(t, key2, rotated)),
		rekey.Module,
		fx.Populate(&job),
	)
	app.RequireStart()
	defer app.RequireStop()
	st, err := job.Rekey(ctxT(t), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != (sensitive.KeyRef{ID: "local", Version: 2}) || st.Rekeyed() != nUsers+nConnectors {
		t.Fatalf("stats = %+v", st)
	}
}
