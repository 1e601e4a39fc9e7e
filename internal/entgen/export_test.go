package entgen

// The fast read path's generation helpers, for the external tests.
var (
	FastGetOf = fastGet
	ScanSlots = scanSlots
	Reusable  = reusable
)
