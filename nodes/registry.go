package nodes

import (
	"fmt"
	"sync"
)

// Registry holds the node types a server or CLI run knows. Registration
// happens at startup; lookups are safe from any goroutine.
type Registry struct {
	mu    sync.RWMutex
	specs map[string]*Spec
	order []*Spec
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{specs: map[string]*Spec{}}
}

// Register adds a node type. It panics on a duplicate name or an incomplete
// spec: both are programmer errors found at startup.
func (r *Registry) Register(s Spec) {
	if err := s.check(); err != nil {
		panic(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.specs[s.Name]; dup {
		panic(fmt.Sprintf("nodes: %s registered twice", s.Name))
	}
	p := &s
	r.specs[s.Name] = p
	r.order = append(r.order, p)
}

// Get returns the spec registered under a class name.
func (r *Registry) Get(name string) (*Spec, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.specs[name]
	return s, ok
}

// List returns every spec in registration order.
func (r *Registry) List() []*Spec {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return append([]*Spec(nil), r.order...)
}

// ObjectInfo describes every registered node as GET /object_info does.
func (r *Registry) ObjectInfo() ObjectInfo {
	specs := r.List()
	out := make(ObjectInfo, len(specs))
	for i, s := range specs {
		out[i] = s.Info()
	}
	return out
}
