package snapshots

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
)

// state is a saved project: the clock and settings of its project row and
// the rows of every covered table, column names kept with them so that a
// snapshot taken before a migration that adds a column still restores.
type state struct {
	Project map[string]value `json:"project"`
	Tables  map[string]rows  `json:"tables"`
}

type rows struct {
	Columns []string  `json:"columns"`
	Rows    [][]value `json:"rows"`
}

// value is one column value as the driver returned it: nil, an integer,
// a float, a string, a bool or bytes. Integers are kept exact (Unix
// microseconds do not survive a float64).
type value struct{ v any }

func (x value) MarshalJSON() ([]byte, error) {
	switch v := x.v.(type) {
	case []byte:
		return json.Marshal(map[string]string{"bytes": base64.StdEncoding.EncodeToString(v)})
	case nil, int64, float64, string, bool:
		return json.Marshal(v)
	default:
		return nil, fmt.Errorf("snapshots: cannot save a value of type %T", v)
	}
}

func (x *value) UnmarshalJSON(b []byte) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return err
	}
	switch t := v.(type) {
	case json.Number:
		if i, err := t.Int64(); err == nil && !strings.ContainsAny(t.String(), ".eE") {
			x.v = i
			return nil
		}
		f, err := t.Float64()
		x.v = f
		return err
	case map[string]any:
		s, _ := t["bytes"].(string)
		raw, err := base64.StdEncoding.DecodeString(s)
		x.v = raw
		return err
	default:
		x.v = t
		return nil
	}
}
