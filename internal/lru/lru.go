// Package lru is a map bounded in bytes whose least recently used entries leave first, safe for
// concurrent use: the one bounded memory of the generator (the API server's verdicts and costs, its
// Cache's XRDs and outputs) and of the function's replays. It is bounded in the bytes its entries
// hold, as their owner estimates them, not in their number: one large DataService held as much as
// thousands of small ones.
package lru

import (
	"container/list"
	"sync"
)

// EntryOverhead is what an entry costs beyond its key and value: its place in the map and in the
// list of uses. Owners add it to their entries' sizes.
const EntryOverhead = 128

// Map is a map bounded in bytes, least recently used entries first out, safe for concurrent use.
type Map[K comparable, V any] struct {
	mu       sync.Mutex
	maxBytes int64
	size     func(K, V) int64
	bytes    int64
	elems    map[K]*list.Element
	order    *list.List // of *entry[K, V], least recently used first
}

type entry[K comparable, V any] struct {
	key  K
	v    V
	size int64
}

// New returns a Map whose entries take at most maxBytes together, each as much as size says; one
// of maxBytes 0 or less remembers nothing, and an entry larger than maxBytes is not remembered.
func New[K comparable, V any](maxBytes int64, size func(K, V) int64) *Map[K, V] {
	return &Map[K, V]{maxBytes: maxBytes, size: size, elems: map[K]*list.Element{}, order: list.New()}
}

// Fixed returns a size function for entries that all take n bytes.
func Fixed[K comparable, V any](n int64) func(K, V) int64 { return func(K, V) int64 { return n } }

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

// Put remembers v as the value of k, making room by forgetting the least recently used entries. A
// value larger than the whole bound is not remembered (and k's old value is forgotten).
func (l *Map[K, V]) Put(k K, v V) {
	n := l.size(k, v)
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.elems[k]; ok {
		l.remove(e)
	}
	if n > l.maxBytes {
		return
	}
	for l.bytes+n > l.maxBytes {
		l.remove(l.order.Front())
	}
	l.elems[k] = l.order.PushBack(&entry[K, V]{key: k, v: v, size: n})
	l.bytes += n
}

func (l *Map[K, V]) remove(e *list.Element) {
	en := e.Value.(*entry[K, V])
	delete(l.elems, en.key)
	l.order.Remove(e)
	l.bytes -= en.size
}

// Forget forgets k.
func (l *Map[K, V]) Forget(k K) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.elems[k]; ok {
		l.remove(e)
	}
}

// Reset forgets every entry.
func (l *Map[K, V]) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.elems)
	l.order.Init()
	l.bytes = 0
}

// MaxBytes is the bound the Map was made with.
func (l *Map[K, V]) MaxBytes() int64 { return l.maxBytes }

// Bytes is what the remembered entries take together.
func (l *Map[K, V]) Bytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bytes
}
