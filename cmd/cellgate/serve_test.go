package main

import (
	"net"
	"testing"
)

// TestServePrintsAPasteableURL: a wildcard listen address prints the
// loopback URL; a named address is printed as it is.
func TestServePrintsAPasteableURL(t *testing.T) {
	for addr, want := range map[string]string{
		"0.0.0.0:8080":   "http://127.0.0.1:8080",
		"[::]:8080":      "http://127.0.0.1:8080",
		"127.0.0.1:9000": "http://127.0.0.1:9000",
		"10.1.2.3:80":    "http://10.1.2.3:80",
		"[::1]:8080":     "http://[::1]:8080",
	} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := pasteableURL(tcp); got != want {
			t.Errorf("pasteableURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
