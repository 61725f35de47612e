package generator

import (
	"container/list"
	"crypto/sha256"
	"sync"
)

// lru is a bounded map, least recently used entries first out, safe for concurrent use.
type lru[V any] struct {
	mu    sync.Mutex
	max   int
	elems map[[sha256.Size]byte]*list.Element
	order *list.List // of *lruEntry[V], least recently used first
}

type lruEntry[V any] struct {
	key [sha256.Size]byte
	v   V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, elems: map[[sha256.Size]byte]*list.Element{}, order: list.New()}
}

func (l *lru[V]) get(k [sha256.Size]byte) (V, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.elems[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToBack(e)
	return e.Value.(*lruEntry[V]).v, true
}

func (l *lru[V]) put(k [sha256.Size]byte, v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max <= 0 {
		return
	}
	if e, ok := l.elems[k]; ok {
		e.Value.(*lruEntry[V]).v = v
		l.order.MoveToBack(e)
		return
	}
	if l.order.Len() >= l.max {
		oldest := l.order.Front()
		delete(l.elems, oldest.Value.(*lruEntry[V]).key)
		l.order.Remove(oldest)
	}
	l.elems[k] = l.order.PushBack(&lruEntry[V]{key: k, v: v})
}

func (l *lru[V]) forget(k [sha256.Size]byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.elems[k]; ok {
		l.order.Remove(e)
		delete(l.elems, k)
	}
}

func (l *lru[V]) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.elems)
	l.order.Init()
}
