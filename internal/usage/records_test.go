package usage

import (
	"encoding/json"
	"testing"
	"time"
)

// TestRecordJSONIsWhatEncodingJSONWrites: the hand-written encoding of a
// usage record is byte for byte what encoding/json writes from its fields.
func TestRecordJSONIsWhatEncodingJSONWrites(t *testing.T) {
	day := time.Date(2030, time.March, 1, 0, 0, 0, 0, time.UTC)
	type plain Record // the same fields, without the MarshalJSON method
	for _, r := range []Record{
		{},
		{Data: 1 << 62, Start: day, End: day.Add(24 * time.Hour), SMS: 3, Voice: 60, UpdatedAt: day.Add(90*time.Minute + 123456*time.Microsecond),
			Labels: Labels{Country: "US", Roaming: "none", Subscription: "sub_0123456789abcdef"}},
		{Data: 0, Start: day, End: day, UpdatedAt: day.Add(time.Nanosecond), Labels: Labels{Country: "é\"<&>\x01\\", Roaming: "international"}},
		{Start: day.In(time.FixedZone("x", 3600)), End: day, UpdatedAt: day},
	} {
		want, err := json.Marshal(plain(r))
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Errorf("record JSON\n got %s\nwant %s", got, want)
		}
	}
	if _, err := json.Marshal(Record{Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}); err == nil {
		t.Error("a year past 9999 was encoded")
	}
}
