package main

import (
	"context"
	"flag"
	"fmt"

	"go.uber.org/fx"
	"go.uber.org/zap"

	"github.com/central/central/internal/app"
	"github.com/central/central/internal/config"
	"github.com/central/central/internal/httpapi"
)

func serveCommand() command {
	return command{
		name: "serve",
		help: "Start the server: the embedded PostgreSQL when no database is configured, pending migrations\n" +
			"(unless SKIP_MIGRATIONS), pending seeds (unless SKIP_SEEDS), then HTTP on HTTP_ADDR.\n" +
			"SIGINT or SIGTERM stops it gracefully: readiness turns false, in-flight requests finish,\n" +
			"the pools close, then the embedded PostgreSQL stops.",
		flags: func(*flag.FlagSet) func(context.Context, *runtime, []string) error {
			return serve
		},
	}
}

func serve(ctx context.Context, rt *runtime, args []string) error {
	if err := noArgs(args); err != nil {
		return err
	}
	return rt.withEnv(ctx, func(env *app.Env) error {
		var srv *httpapi.Server
		a := fx.New(app.ServeOptions(env), fx.Populate(&srv))
		if err := a.Err(); err != nil {
			return fmt.Errorf("assemble the application: %w", err)
		}
		startCtx, cancel := context.WithTimeout(ctx, a.StartTimeout())
		defer cancel()
		if err := a.Start(startCtx); err != nil {
			return fmt.Errorf("start: %w", err)
		}
		banner(rt, env, srv.Addr())

		<-ctx.Done()
		rt.logger.Info("shutting down: draining requests, then closing pools")
		stopCtx, cancelStop := context.WithTimeout(context.WithoutCancel(ctx), a.StopTimeout())
		defer cancelStop()
		if err := a.Stop(stopCtx); err != nil {
			return fmt.Errorf("stop: %w", err)
		}
		return nil
	})
}

func banner(rt *runtime, env *app.Env, addr string) {
	base := "http://" + addr
	db := "external: " + config.RedactURL(env.Config.Postgres.ReadWrite.URL.Reveal())
	if env.Embedded != nil {
		db = fmt.Sprintf("embedded: %s:%d, data in %s (log %s)", env.Embedded.Host(), env.Embedded.Port(), env.Embedded.DataDir(), env.Embedded.LogFile())
	}
	rt.logger.Info("ready", zap.String("http", base), zap.String("postgres", db), zap.String("env", string(env.Config.Env)), zap.String("version", version))
	fmt.Fprintf(rt.stdout, `
Central %s is ready (%s)
  API         %s/v1/tenants
  health      %s/livez  %s/readyz
  metrics     %s/metrics
  PostgreSQL  %s
Press Ctrl-C to stop.

`, version, env.Config.Env, base, base, base, base, db)
}
