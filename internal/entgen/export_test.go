package entgen

// The fast read path's generation helpers, for the external tests.
var (
	SelectList = selectList
	ScanSlots  = scanSlots
	Reusable   = reusable
)
