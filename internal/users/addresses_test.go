package users

import "testing"

func ptr(s string) *string { return &s }

// TestAddressKeyIgnoresCaseAndSpacing: the uniqueness key does not see
// case, runs of spaces or punctuation, but does see every real difference.
func TestAddressKeyIgnoresCaseAndSpacing(t *testing.T) {
	base := AddressInput{Line1: "129 West 81st Street", Line2: ptr("Apt. 5"), City: "New York City", State: ptr("NY"), PostalCode: ptr("10024"), Country: "US"}
	same := []AddressInput{
		{Line1: "129 WEST 81ST STREET", Line2: ptr("apt 5"), City: "new york city", State: ptr("ny"), PostalCode: ptr("10024"), Country: "US"},
		{Line1: "  129  West\t81st Street ", Line2: ptr("Apt.  5"), City: "New York City,", State: ptr("NY"), PostalCode: ptr("10024"), Country: "US"},
	}
	for i, in := range same {
		if addressKey(in) != addressKey(base) {
			t.Errorf("variant %d: key %q differs from %q", i, addressKey(in), addressKey(base))
		}
	}
	different := []AddressInput{
		{Line1: "129 West 81st Street", Line2: ptr("Apt. 6"), City: "New York City", State: ptr("NY"), PostalCode: ptr("10024"), Country: "US"},
		{Line1: "129 West 81st Street", City: "New York City", State: ptr("NY"), PostalCode: ptr("10024"), Country: "US"},
		{Line1: "129 West 81st Street", Line2: ptr("Apt. 5"), City: "New York City", State: ptr("NY"), PostalCode: ptr("10025"), Country: "US"},
		// Fields do not run into each other: "a|b" is not "ab|".
		{Line1: "129 West 81st Street Apt. 5", City: "New York City", State: ptr("NY"), PostalCode: ptr("10024"), Country: "US"},
	}
	for i, in := range different {
		if addressKey(in) == addressKey(base) {
			t.Errorf("different address %d has the same key %q", i, addressKey(in))
		}
	}
}

func TestValidZIP(t *testing.T) {
	for zip, want := range map[string]bool{
		"10024": true, "10024-1234": true, "00501": true,
		"1002": false, "100245": false, "1002A": false, "10024-123": false, "10024 1234": false, "10024-12345": false, "": false,
	} {
		if got := validZIP(zip); got != want {
			t.Errorf("validZIP(%q) = %v, want %v", zip, got, want)
		}
	}
}
