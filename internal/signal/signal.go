// Package signal wakes the workers of this process when new work commits,
// so they need not wait for their next poll.
package signal

import "sync"

// Broadcast wakes every waiter at once. The zero value is not usable; call
// New.
type Broadcast struct {
	mu sync.Mutex
	ch chan struct{}
}

// New returns a Broadcast with no waiters.
func New() *Broadcast { return &Broadcast{ch: make(chan struct{})} }

// Wait returns a channel that is closed by the next Notify. Take it before
// looking for work, so that no wake-up is lost.
func (b *Broadcast) Wait() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ch
}

// Notify wakes everyone waiting.
func (b *Broadcast) Notify() {
	b.mu.Lock()
	close(b.ch)
	b.ch = make(chan struct{})
	b.mu.Unlock()
}
