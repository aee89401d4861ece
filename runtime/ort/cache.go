package ort

import (
	"errors"
	"sort"
	"sync"
)

// Key identifies a cached session.
type Key struct {
	Checkpoint string // path of the checkpoint file
	Network    string // "unet", "clip_l", "clip_g", "vae_decoder", ...
	DType      string // compute type, e.g. "float32" or "float16"
	Device     string // e.g. "cpu" or "cuda:0"
}

// Cache keeps sessions alive across runs. Get builds a missing session once
// even when several goroutines ask for it at the same time; Free and FreeAll
// close sessions (waiting for their running calls).
type Cache struct {
	mu      sync.Mutex
	entries map[Key]*cacheEntry
}

type cacheEntry struct {
	ready chan struct{} // closed when s/err are set
	s     *Session
	err   error
}

// NewCache returns an empty cache.
func NewCache() *Cache { return &Cache{entries: map[Key]*cacheEntry{}} }

// Get returns the session for k, calling build to create it when absent.
// A failed build is not cached, so a later Get tries again.
func (c *Cache) Get(k Key, build func() (*Session, error)) (*Session, error) {
	c.mu.Lock()
	e, ok := c.entries[k]
	if !ok {
		e = &cacheEntry{ready: make(chan struct{})}
		c.entries[k] = e
	}
	c.mu.Unlock()
	if ok {
		<-e.ready
		return e.s, e.err
	}
	e.s, e.err = build()
	if e.err == nil && e.s == nil {
		e.err = errors.New("ort: cache: build returned no session")
	}
	if e.err != nil {
		c.mu.Lock()
		delete(c.entries, k)
		c.mu.Unlock()
	}
	close(e.ready)
	return e.s, e.err
}

// Keys lists the cached (or building) keys, sorted.
func (c *Cache) Keys() []Key {
	c.mu.Lock()
	defer c.mu.Unlock()
	keys := make([]Key, 0, len(c.entries))
	for k := range c.entries {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.Checkpoint != b.Checkpoint {
			return a.Checkpoint < b.Checkpoint
		}
		if a.Network != b.Network {
			return a.Network < b.Network
		}
		if a.DType != b.DType {
			return a.DType < b.DType
		}
		return a.Device < b.Device
	})
	return keys
}

// Free closes and forgets the session for k, if any.
func (c *Cache) Free(k Key) error {
	return c.FreeWhere(func(x Key) bool { return x == k })
}

// FreeWhere closes and forgets every session whose key matches, e.g. all
// networks of one checkpoint.
func (c *Cache) FreeWhere(match func(Key) bool) error {
	c.mu.Lock()
	var victims []*cacheEntry
	for k, e := range c.entries {
		if match(k) {
			victims = append(victims, e)
			delete(c.entries, k)
		}
	}
	c.mu.Unlock()
	var errs []error
	for _, e := range victims {
		<-e.ready // a session still building is closed once built
		if e.s != nil {
			errs = append(errs, e.s.Close())
		}
	}
	return errors.Join(errs...)
}

// FreeAll closes every cached session.
func (c *Cache) FreeAll() error { return c.FreeWhere(func(Key) bool { return true }) }
