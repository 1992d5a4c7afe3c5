package sqlstore

import (
	"encoding/json"
	"fmt"

	"github.com/donorsync/donorsync"
)

// A delivery's history is kept as a JSON array, and as "" when it is
// empty, as it is for nearly every delivery: it then costs nothing.

// attempt is an Attempt as stored: times in microseconds, so that any
// time encodes.
type attempt struct {
	At     int64  `json:"at"`
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
}

func encodeHistory(h []donorsync.Attempt) string {
	if len(h) == 0 {
		return ""
	}
	rows := make([]attempt, len(h))
	for i, a := range h {
		rows[i] = attempt{At: micros(a.At), Status: string(a.Status), Error: a.Error}
	}
	b, _ := json.Marshal(rows) // integers and strings always encode
	return string(b)
}

func decodeHistory(s string, h *[]donorsync.Attempt) error {
	if s == "" {
		return nil
	}
	var rows []attempt
	if err := json.Unmarshal([]byte(s), &rows); err != nil {
		return fmt.Errorf("sqlstore: delivery history: %w", err)
	}
	*h = make([]donorsync.Attempt, len(rows))
	for i, a := range rows {
		(*h)[i] = donorsync.Attempt{At: fromMicros(a.At), Status: donorsync.DeliveryStatus(a.Status), Error: a.Error}
	}
	return nil
}
