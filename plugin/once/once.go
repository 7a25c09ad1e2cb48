// Package once runs a lookup once per key, for every caller that asks:
// the promotions of a run share what they read of the instance (a
// source's digest, a repository's tags, an image's referrers), however
// many ask at once. A lookup's error is kept as its value is.
package once

import "sync"

// Map holds each key's lookup. The zero Map is ready to use; it is safe
// for concurrent use.
type Map[K comparable, V any] struct {
	mu sync.Mutex
	m  map[K]func() (V, error)
}

// Get returns key's value, running lookup if no caller has for key; a
// caller that asks while it runs waits for it.
func (m *Map[K, V]) Get(key K, lookup func() (V, error)) (V, error) {
	m.mu.Lock()
	f := m.m[key]
	if f == nil {
		if m.m == nil {
			m.m = map[K]func() (V, error){}
		}
		f = sync.OnceValues(lookup)
		m.m[key] = f
	}
	m.mu.Unlock()
	return f()
}
