// Package reqid carries a request id through a context, so that the SQL log
// (and any other log) can name the request that issued a statement.
//
// # Usage
//
// HTTP middleware stores the id once; anything below reads it:
//
//	ctx = reqid.NewContext(r.Context(), id)
//	...
//	if id, ok := reqid.FromContext(ctx); ok {
//		logger.Debug("work", zap.String("request_id", id))
//	}
//
// The key is an unexported type, so no other package can collide with it.
package reqid
