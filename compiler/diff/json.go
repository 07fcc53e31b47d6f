package diff

import (
	"encoding/json"
	"io"
)

// WriteJSON writes the report in its JSON form (see Report), indented, with keys in a
// fixed order: the same report always gives the same bytes.
func WriteJSON(w io.Writer, r *Report) error {
	r = r.redacted()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}
