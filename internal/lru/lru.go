// Package lru is a bounded map whose least recently used entries leave first, safe for concurrent
// use: the one bounded memory of the generator (the API server's verdicts and costs, its Cache's
// XRDs and outputs) and of the function's replays.
package lru

import (
	"container/list"
	"sync"
)

// Map is a bounded map, least recently used entries first out, safe for concurrent use.
type Map[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	elems map[K]*list.Element
	order *list.List // of *entry[K, V], least recently used first
}

type entry[K comparable, V any] struct {
	key K
	v   V
}

// New returns a Map of at most max entries; one of max 0 or less remembers nothing.
func New[K comparable, V any](max int) *Map[K, V] {
	return &Map[K, V]{max: max, elems: map[K]*list.Element{}, order: list.New()}
}

// Get returns the value of k, if it is remembered, and makes it the most recently used.
func (l *Map[K, V]) Get(k K) (V, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.elems[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToBack(e)
	return e.Value.(*entry[K, V]).v, true
}

// Put remembers v as the value of k, making room by forgetting the least recently used entry.
func (l *Map[K, V]) Put(k K, v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max <= 0 {
		return
	}
	if e, ok := l.elems[k]; ok {
		e.Value.(*entry[K, V]).v = v
		l.order.MoveToBack(e)
		return
	}
	if l.order.Len() >= l.max {
		oldest := l.order.Front()
		delete(l.elems, oldest.Value.(*entry[K, V]).key)
		l.order.Remove(oldest)
	}
	l.elems[k] = l.order.PushBack(&entry[K, V]{key: k, v: v})
}

// Forget forgets k.
func (l *Map[K, V]) Forget(k K) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.elems[k]; ok {
		l.order.Remove(e)
		delete(l.elems, k)
	}
}

// Reset forgets every entry.
func (l *Map[K, V]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.elems)
	l.order.Init()
}

// Max is the bound the Map was made with.
func (l *Map[K, V]) Max() int { return l.max }
