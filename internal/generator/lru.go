package generator

import (
	"container/list"
	"sync"
)

// lru is a bounded map, least recently used entries first out, safe for concurrent use: the
// generator's one bounded memory (the API server's verdicts and costs, the Cache's XRDs and outputs).
type lru[K comparable, V any] struct {
	mu    sync.Mutex
	max   int
	elems map[K]*list.Element
	order *list.List // of *lruEntry[K, V], least recently used first
}

type lruEntry[K comparable, V any] struct {
	key K
	v   V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, elems: map[K]*list.Element{}, order: list.New()}
}

func (l *lru[K, V]) get(k K) (V, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.elems[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToBack(e)
	return e.Value.(*lruEntry[K, V]).v, true
}

func (l *lru[K, V]) put(k K, v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.max <= 0 {
		return
	}
	if e, ok := l.elems[k]; ok {
		e.Value.(*lruEntry[K, V]).v = v
		l.order.MoveToBack(e)
		return
	}
	if l.order.Len() >= l.max {
		oldest := l.order.Front()
		delete(l.elems, oldest.Value.(*lruEntry[K, V]).key)
		l.order.Remove(oldest)
	}
	l.elems[k] = l.order.PushBack(&lruEntry[K, V]{key: k, v: v})
}

func (l *lru[K, V]) forget(k K) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.elems[k]; ok {
		l.order.Remove(e)
		delete(l.elems, k)
	}
}

func (l *lru[K, V]) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.elems)
	l.order.Init()
}
