package function

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/lru"
)

// What a DataService composes is type-checked against the CRDs the control plane serves, as
// `dataservice generate --crd` checks it offline (internal/backendcrd): the function asks Crossplane
// for the CRD of each kind the DataService composes (its operator's, a provider's), by name, beside
// the CRD of XRDs controlplane.go asks for and through the same field, requirements.extra_resources,
// which Crossplane 1.x and v2 both answer. A kind whose CRD is not installed yet is composed
// unchecked, with a warning naming it: a DataService may be installed before its operator. A
// path, type or plan the installed CRD refuses is the DataService's fatal result, with the message
// generate prints.

// backendCRDPrefix starts the requirement key of a composed kind's CRD; the CRD's name follows.
const backendCRDPrefix = "backend-crd:"

// crdCacheBytes bounds what the Sets of delivered CRDs the function keeps take in memory: a
// control plane's DataServices compose a few dozen kinds, and an operator's CRD may be megabytes.
const crdCacheBytes = 64 << 20

// decodedFactor estimates what a CRD takes decoded, with the API server's validation of a version
// built, from the bytes of its JSON.
const decodedFactor = 6

// backends is what a request says of the CRDs of the kinds a DataService composes.
type backends struct {
	// refs are the CRDs asked for, in the spec's order.
	refs []generator.CRDRef
	// unanswered says some were not asked yet: Crossplane calls again with them.
	unanswered bool
	// set holds the CRDs delivered, nil for none.
	set *backendcrd.Set
	// missing are the CRDs asked for that the control plane does not serve.
	missing []generator.CRDRef
}

// requirement asks Crossplane for each CRD, by name (requirements.go).
func (b backends) requirement() []requirement {
	out := make([]requirement, 0, len(b.refs))
	for _, r := range b.refs {
		out = append(out, requirement{name: backendCRDPrefix + r.Name, selector: &fnv1.ResourceSelector{
			ApiVersion: "apiextensions.k8s.io/v1",
			Kind:       "CustomResourceDefinition",
			Match:      &fnv1.ResourceSelector_MatchName{MatchName: r.Name},
		}})
	}
	return out
}

// warnings say which composed kinds are not type-checked, and why.
func (b backends) warnings() []string {
	var out []string
	for _, r := range b.missing {
		out = append(out, fmt.Sprintf("%s %s is composed without type-checking what the DataService maps onto it: the control plane serves no CustomResourceDefinition %s; "+
			"install the operator (or its CRD) and the next reconcile checks it, or check it offline with dataservice generate --crd",
			r.Kind.GroupVersion(), r.Kind.Kind, r.Name))
	}
	return out
}

// crdCache keeps the Sets made of the CRDs a control plane delivered, by what identifies their
// contents: a CRD of megabytes takes tens of milliseconds to decode, to key and to build the API
// server's validation of. Bounded in bytes (internal/lru).
type crdCache struct {
	sets *lru.Map[string, sizedSet]
}

// sizedSet is a Set and what it takes in memory, estimated.
type sizedSet struct {
	set   *backendcrd.Set
	bytes int64
}

func newCRDCache() *crdCache {
	return &crdCache{sets: lru.New(crdCacheBytes, func(k string, v sizedSet) int64 { return int64(len(k)) + v.bytes + lru.EntryOverhead })}
}

// identity is what identifies a delivered object's contents: its uid and resourceVersion, which
// a control plane sets on every object; "" when it has neither (crossplane render's files).
func identity(s *structpb.Struct) string {
	md := s.GetFields()["metadata"].GetStructValue().GetFields()
	uid, rv := md["uid"].GetStringValue(), md["resourceVersion"].GetStringValue()
	if uid == "" || rv == "" {
		return ""
	}
	return md["name"].GetStringValue() + "/" + uid + "/" + rv
}

// readBackends reads what the request holds of the CRDs of refs.
func (c *crdCache) readBackends(req *fnv1.RunFunctionRequest, refs []generator.CRDRef) (backends, error) {
	b := backends{refs: refs}
	var items []*structpb.Struct
	var names, ids []string
	for _, r := range refs {
		rs, ok := delivered(req, backendCRDPrefix+r.Name)
		switch {
		case !ok:
			b.unanswered = true
		case len(rs.GetItems()) == 0:
			b.missing = append(b.missing, r)
		default:
			items = append(items, rs.GetItems()[0].GetResource())
			names = append(names, r.Name)
			ids = append(ids, identity(rs.GetItems()[0].GetResource()))
		}
	}
	if len(items) == 0 {
		return b, nil
	}
	// Known by the identities of its CRDs, a Set is decoded once; CRDs without identities
	// (crossplane render's files) are decoded every time.
	key := strings.Join(ids, ",")
	if slices.Contains(ids, "") {
		key = ""
	}
	if v, ok := c.sets.Get(key); key != "" && ok {
		b.set = v.set
		return b, nil
	}
	var where []string
	var crds []*extv1.CustomResourceDefinition
	var size int64
	for i, obj := range items {
		crd, n, err := decodeCRD(obj)
		if err != nil {
			return b, errors.Wrapf(err, "cannot read the CustomResourceDefinition %s Crossplane delivered", names[i])
		}
		where = append(where, "the control plane's CustomResourceDefinition "+crd.Name)
		crds = append(crds, crd)
		size += int64(n) * decodedFactor
	}
	s, err := backendcrd.New(where, crds)
	if err != nil {
		return b, err
	}
	if key != "" {
		c.sets.Put(key, sizedSet{set: s, bytes: size})
	}
	b.set = s
	return b, nil
}

// decodeCRD decodes a delivered CRD, and says how many bytes of JSON it is.
func decodeCRD(s *structpb.Struct) (*extv1.CustomResourceDefinition, int, error) {
	data, err := protojson.Marshal(s)
	if err != nil {
		return nil, 0, err
	}
	crd := &extv1.CustomResourceDefinition{}
	if err := json.Unmarshal(data, crd); err != nil {
		return nil, 0, err
	}
	return crd, len(data), nil
}

// backendsDigest hashes what the request holds of the CRDs of composed kinds, for the replay key:
// a CRD installed, changed or removed since the last reconcile is checked anew. A CRD is named by
// its identity, or by its whole content when it has none (crossplane render).
func backendsDigest(req *fnv1.RunFunctionRequest) [sha256.Size]byte {
	h := sha256.New()
	for _, m := range []map[string]*fnv1.Resources{req.GetExtraResources(), req.GetRequiredResources()} { //nolint:staticcheck // the field Crossplane 1.x fills
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !strings.HasPrefix(k, backendCRDPrefix) {
				continue
			}
			h.Write([]byte(k))
			h.Write([]byte{0})
			for _, it := range m[k].GetItems() {
				id := identity(it.GetResource())
				if id == "" {
					data, _ := protojson.Marshal(it.GetResource())
					id = string(data)
				}
				h.Write([]byte(id))
				h.Write([]byte{0})
			}
		}
	}
	var out [sha256.Size]byte
	copy(out[:], h.Sum(nil))
	return out
}

// replaySlot is where the replays remember a DataService's composition: apart for the call that
// asks for the CRDs of composed kinds and for the one that has them, so that neither evicts the
// other on every reconcile.
func replaySlot(name string, req *fnv1.RunFunctionRequest) string {
	for _, m := range []map[string]*fnv1.Resources{req.GetExtraResources(), req.GetRequiredResources()} { //nolint:staticcheck // the field Crossplane 1.x fills
		for k := range m {
			if strings.HasPrefix(k, backendCRDPrefix) {
				return name + "\x00with CRDs"
			}
		}
	}
	return name
}
