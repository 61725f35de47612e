package lru

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

// TestLRU: a Map stays within its bound in bytes, keeps what was used last, and takes concurrent
// use (run with -race). Each entry of the cases takes 10 bytes but 30 and 31, which take 25.
func TestLRU(t *testing.T) {
	k := func(i int) [sha256.Size]byte { return sha256.Sum256([]byte(fmt.Sprint(i))) }
	cases := map[string]struct {
		reason string
		max    int
		steps  func(l *Map[[sha256.Size]byte, int])
		want   map[int]bool // key: whether it is remembered
	}{
		"OldestOut": {
			reason: "Beyond its bound the least recently used entry goes.",
			max:    2,
			steps:  func(l *Map[[sha256.Size]byte, int]) { l.Put(k(1), 1); l.Put(k(2), 2); l.Put(k(3), 3) },
			want:   map[int]bool{1: false, 2: true, 3: true},
		},
		"UsedStays": {
			reason: "An entry read since it was put is kept over one that was not.",
			max:    2,
			steps:  func(l *Map[[sha256.Size]byte, int]) { l.Put(k(1), 1); l.Put(k(2), 2); l.Get(k(1)); l.Put(k(3), 3) },
			want:   map[int]bool{1: true, 2: false, 3: true},
		},
		"PutAgainUpdates": {
			reason: "Putting a key again replaces its value without growing.",
			max:    2,
			steps:  func(l *Map[[sha256.Size]byte, int]) { l.Put(k(1), 1); l.Put(k(2), 2); l.Put(k(1), 10); l.Put(k(3), 3) },
			want:   map[int]bool{1: true, 2: false, 3: true},
		},
		"Forget": {
			reason: "A forgotten entry is gone.",
			max:    2,
			steps:  func(l *Map[[sha256.Size]byte, int]) { l.Put(k(1), 1); l.Forget(k(1)) },
			want:   map[int]bool{1: false},
		},
		"LargeEntryMakesRoom": {
			reason: "An entry of 25 bytes in a bound of 40 evicts as many entries as it takes.",
			max:    4,
			steps: func(l *Map[[sha256.Size]byte, int]) {
				l.Put(k(1), 1)
				l.Put(k(2), 2)
				l.Put(k(3), 3)
				l.Put(k(4), 4)
				l.Put(k(30), 30)
			},
			want: map[int]bool{1: false, 2: false, 3: false, 4: true, 30: true},
		},
		"TooLargeIsNotRemembered": {
			reason: "An entry larger than the whole bound is not remembered, nor is the key's old value kept.",
			max:    2,
			steps:  func(l *Map[[sha256.Size]byte, int]) { l.Put(k(1), 1); l.Put(k(2), 2); l.Put(k(2), 31) },
			want:   map[int]bool{1: true, 2: false},
		},
		"NoBound": {
			reason: "A bound of 0 remembers nothing.",
			max:    0,
			steps:  func(l *Map[[sha256.Size]byte, int]) { l.Put(k(1), 1) },
			want:   map[int]bool{1: false},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l := New[[sha256.Size]byte, int](int64(tc.max)*10, func(_ [sha256.Size]byte, v int) int64 {
				if v >= 30 {
					return 25
				}
				return 10
			})
			tc.steps(l)
			for i, want := range tc.want {
				if _, got := l.Get(k(i)); got != want {
					t.Errorf("%s\nremembered %d: %t, want %t", tc.reason, i, got, want)
				}
			}
			if n := l.order.Len(); l.Bytes() > int64(tc.max)*10 || n != len(l.elems) {
				t.Errorf("%s\n%d entries in order, %d in the map, %d bytes, bound %d", tc.reason, n, len(l.elems), l.Bytes(), tc.max*10)
			}
		})
	}

	l := New(80, Fixed[[sha256.Size]byte, int](10))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				l.Put(k(g*1000+i%16), i)
				l.Get(k(i % 16))
			}
		}()
	}
	wg.Wait()
	if l.order.Len() > 8 || l.order.Len() != len(l.elems) || l.Bytes() > 80 {
		t.Errorf("concurrent use: %d entries in order, %d in the map, bound 8", l.order.Len(), len(l.elems))
	}
}
