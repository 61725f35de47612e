package generator

import (
	"crypto/sha256"
	"encoding/json"
	"sync"
)

// Cache remembers the XRDs the API server's checks accepted. Compiling an XRD's CEL rules costs
// milliseconds, and a composition function generates the same DataService on every reconcile: with
// a cache it pays once per distinct XRD. Only accepted XRDs are remembered, so an invalid spec is
// always reported in full. Safe for concurrent use; bounded, oldest entries evicted first.
type Cache struct {
	mu    sync.Mutex
	seen  map[[sha256.Size]byte]struct{}
	order [][sha256.Size]byte
	max   int
}

// NewCache returns a cache of up to max accepted XRDs.
func NewCache(max int) *Cache {
	return &Cache{seen: make(map[[sha256.Size]byte]struct{}, max), max: max}
}

func (c *Cache) key(xrd xrdObject) ([sha256.Size]byte, bool) {
	b, err := json.Marshal(xrd)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(b), true
}

func (c *Cache) has(k [sha256.Size]byte) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.seen[k]
	return ok
}

func (c *Cache) add(k [sha256.Size]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[k]; ok || c.max <= 0 {
		return
	}
	if len(c.order) >= c.max {
		delete(c.seen, c.order[0])
		c.order = c.order[1:]
	}
	c.seen[k] = struct{}{}
	c.order = append(c.order, k)
}
