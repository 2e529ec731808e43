// Package secret makes random tokens for credentials: API keys, QR code
// links, webhook secrets.
package secret

import "crypto/rand"

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Token returns n random base62 characters. Rejection sampling keeps every
// character equally likely.
func Token(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n*2)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, b := range buf {
			if b < 248 && len(out) < n { // 248 = 4*62
				out = append(out, alphabet[b%62])
			}
		}
	}
	return string(out)
}
