package service

// Page limits.
const (
	// DefaultLimit is the page size used when a List call passes limit 0.
	DefaultLimit = 50
	// MaxLimit is the largest page a List call may ask for.
	MaxLimit = 500
)

// Page is one page of a list ordered by ID. Next is the cursor for the
// following page (the ID of the last item) and is zero when there is none:
// pass it as `after` to get the next page.
type Page[T any, ID any] struct {
	Items   []T
	Next    ID
	HasMore bool
}

// pageLimit validates a requested page size: 0 means DefaultLimit.
func pageLimit(entity string, limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultLimit, nil
	case limit < 0 || limit > MaxLimit:
		return 0, invalid(entity, "limit", "page limit %d out of range; pass 1 to %d (0 for %d)", limit, MaxLimit, DefaultLimit)
	}
	return limit, nil
}

// paginate maps rows (fetched with LIMIT n+1) to a page of at most n items.
func paginate[E any, T any, ID any](rows []E, n int, view func(E) T, id func(T) ID) Page[T, ID] {
	p := Page[T, ID]{HasMore: len(rows) > n}
	if p.HasMore {
		rows = rows[:n]
	}
	p.Items = make([]T, len(rows))
	for i, r := range rows {
		p.Items[i] = view(r)
	}
	if p.HasMore {
		p.Next = id(p.Items[len(p.Items)-1])
	}
	return p
}
