package generator

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"slices"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/lru"
)

// Cache remembers the XRDs the API server's checks accepted. Compiling an XRD's CEL rules costs
// milliseconds; the generator's process-wide verdicts (crdcheck.go) compile a rule once per schema
// around it, but deriving an XRD's CRDs and keying them and their parts still costs a few hundred
// microseconds, and a composition function generates the same DataService on every reconcile:
// with a cache it pays that once per distinct XRD. Only accepted XRDs are remembered, so an invalid
// spec is always reported in full. Safe for concurrent use; bounded in bytes, least recently used
// entries evicted first (internal/lru).
//
// It also remembers what each DataService, by name, generated last and from which input. The
// output depends on nothing but the DataService and the defaults, so a reconcile of an unchanged
// DataService gets a copy of it instead of generating again (the CPU profile of the function
// under load showed resolving and converting the objects as most of a reconcile). One output per
// name bounds it by the DataServices a control plane holds; the bytes they take bound it too: one
// large DataService's output takes as much as hundreds of small ones'.
//
// Why the function keeps a second, replay cache (function/replay.go) on top of this one: the two
// answer different questions at different layers. This cache belongs to the generator, so the
// CLI's generate and the function share it: it is keyed by the DataService and the defaults, and
// its XRD half also spares the API server's checks when a spec changed in ways that leave the XRD
// alone (a backend field, a Composition). The replay cache is keyed by the whole RunFunctionRequest's
// inputs and stores the composed protobuf response, so an unchanged reconcile skips decoding the
// XR and converting objects to and from protobuf as well, which the generator cannot see. Folding
// one into the other would make the generator know the function's wire format, or the function
// re-implement the generator's keying.
type Cache struct {
	// checker runs the API server's checks with the verdicts it remembers.
	checker *Checker
	// seen are the keys of the accepted XRDs.
	seen *lru.Map[[sha256.Size]byte, struct{}]
	// last is what each DataService, by name, generated last.
	last *lru.Map[string, generated]
}

// generated is an output and the hash of the input it was generated from.
type generated struct {
	input [sha256.Size]byte
	out   *Output
	// size is what out takes in memory.
	size int64
}

// NewCache returns a cache whose outputs take at most maxBytes together, and the keys of its
// accepted XRDs at most a sixteenth of that, with a Checker of its own (DefaultCheckerSize).
func NewCache(maxBytes int64) *Cache {
	return &Cache{
		checker: NewChecker(DefaultCheckerSize),
		seen:    lru.New(maxBytes/16, lru.Fixed[[sha256.Size]byte, struct{}](sha256.Size+lru.EntryOverhead)),
		last:    lru.New(maxBytes, func(name string, g generated) int64 { return int64(len(name)) + g.size + lru.EntryOverhead }),
	}
}

// outputMemory is how many times its JSON an output's objects take in memory: unstructured
// objects took 3.3 to 4.1 times their JSON over Klutch's examples (maps and interface values
// around every field).
const outputMemory = 6

// memory estimates what an output takes in memory, from the JSON of its objects.
func (o *Output) memory() int64 {
	var n int64
	for _, u := range o.Objects() {
		b, err := json.Marshal(u.Object)
		if err != nil {
			return math.MaxInt64 // not remembered
		}
		n += int64(len(b))
	}
	return outputMemory * n
}

func (c *Cache) key(xrd xrdObject) ([sha256.Size]byte, bool) {
	b, err := json.Marshal(xrd)
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(b), true
}

func (c *Cache) has(k [sha256.Size]byte) bool {
	_, ok := c.seen.Get(k)
	return ok
}

func (c *Cache) add(k [sha256.Size]byte) { c.seen.Put(k, struct{}{}) }

// inputKey hashes everything an output depends on.
func inputKey(ds *v1alpha1.DataService, d inputv1beta1.Defaults, crds *backendcrd.Set) ([sha256.Size]byte, bool) {
	b, err := json.Marshal(struct {
		DataService *v1alpha1.DataService
		Defaults    inputv1beta1.Defaults
		CRDs        [sha256.Size]byte
	}{ds, d, crds.Key()})
	if err != nil {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256(b), true
}

// output returns a copy of what the DataService name generated last, if it was generated from
// the input k.
func (c *Cache) output(name string, k [sha256.Size]byte) (*Output, bool) {
	g, ok := c.last.Get(name)
	if !ok || g.input != k {
		return nil, false
	}
	return g.out.deepCopy(), true
}

// remember keeps a copy of what the DataService name generated from the input k, in place of
// what it generated before.
func (c *Cache) remember(name string, k [sha256.Size]byte, out *Output) {
	if c.last.MaxBytes() <= 0 {
		return
	}
	c.last.Put(name, generated{input: k, out: out.deepCopy(), size: out.memory()})
}

// deepCopy copies an output, so that a caller may change what it was given.
func (o *Output) deepCopy() *Output {
	cp := &Output{API: o.API, Resolved: o.Resolved, XRD: o.XRD.DeepCopy(), Notes: slices.Clone(o.Notes),
		Checked: slices.Clone(o.Checked), Unchecked: slices.Clone(o.Unchecked)}
	for _, g := range o.Grants {
		g.Verbs = slices.Clone(g.Verbs)
		cp.Grants = append(cp.Grants, g)
	}
	for _, g := range o.ObjectGrants {
		g.Verbs = slices.Clone(g.Verbs)
		cp.ObjectGrants = append(cp.ObjectGrants, g)
	}
	for _, u := range o.Compositions {
		cp.Compositions = append(cp.Compositions, u.DeepCopy())
	}
	if o.ExportTemplate != nil {
		cp.ExportTemplate = o.ExportTemplate.DeepCopy()
	}
	if o.KubeBindTemplate != nil {
		cp.KubeBindTemplate = o.KubeBindTemplate.DeepCopy()
	}
	return cp
}
