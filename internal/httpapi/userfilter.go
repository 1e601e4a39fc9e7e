package httpapi

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/central/central/internal/jsonb"
	"github.com/central/central/internal/service"
)

// attrPrefix starts a query parameter filtering on a profile attribute:
// ?attr.team=compilers.
const attrPrefix = "attr."

// profileFilterParams reads the profile filters of a user listing:
// locale=, time_zone=, title= and attr.<key>=<value>, all of which must
// hold (containment); none given is the empty filter. A parameter
// given twice is a 400 (which value would be meant?); the service
// validates the values themselves (a 400 too). Other parameters are left
// to pageParams.
func profileFilterParams(w http.ResponseWriter, r *http.Request) (f service.ProfileFilter, ok bool) {
	for name, vals := range r.URL.Query() {
		key, isAttr := strings.CutPrefix(name, attrPrefix)
		switch {
		case isAttr && key == "":
			writeProblem(w, r, http.StatusBadRequest, "query parameter attr.: name the attribute, e.g. attr.team=compilers")
			return f, false
		case !isAttr && name != "locale" && name != "time_zone" && name != "title":
			continue
		case len(vals) != 1:
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("query parameter %s given %d times: give each filter once", clipParam(name), len(vals)))
			return f, false
		case vals[0] == "":
			writeProblem(w, r, http.StatusBadRequest, fmt.Sprintf("query parameter %s is empty: give a value or leave the filter out", clipParam(name)))
			return f, false
		}
		switch v := vals[0]; name {
		case "locale":
			f.Locale = v
		case "time_zone":
			f.TimeZone = v
		case "title":
			f.Title = v
		default:
			if f.Attributes == nil {
				f.Attributes = map[string]string{}
			}
			f.Attributes[key] = v
		}
	}
	return f, true
}

// clipParam bounds a client-chosen parameter name quoted in a problem.
func clipParam(s string) string {
	if r := []rune(s); len(r) > 80 {
		return fmt.Sprintf("%q…", string(r[:80]))
	}
	return fmt.Sprintf("%q", s)
}

// setProfile replaces a user's profile: PUT .../users/{user_id}/profile.
func (a *API) setProfile(w http.ResponseWriter, r *http.Request) {
	tenantID, userID, ok := userPath(w, r)
	if !ok {
		return
	}
	var in jsonb.UserProfile
	if !decodeJSON(w, r, &in) {
		return
	}
	u, err := a.svc.Users.SetProfile(r.Context(), tenantID, userID, in)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.setConsistencyToken(w, r)
	writeJSON(w, http.StatusOK, userView(u))
}
