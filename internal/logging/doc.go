// Package logging builds the application's *zap.Logger: console-friendly and
// colourless in development and test, JSON in production, at the configured
// level. It is the only place that decides the log format; everything else
// receives a *zap.Logger and names a child logger after its component.
//
// # Usage
//
//	logger, err := logging.New(config.Development, zapcore.InfoLevel)
//	if err != nil {
//		return err
//	}
//	defer logger.Sync()
//	logger.Named("tenants").Info("created", zap.Stringer("tenant", id))
package logging
