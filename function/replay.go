package function

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"maps"
	"slices"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/function-dataservice/function-dataservice/internal/generator"
)

// replaySize bounds the DataServices whose last composition is remembered: a control plane serves
// a few dozen; beyond, reconciles take the full path (the generator's cache still spares them CEL).
const replaySize = 128

// replays remember, per DataService, what the last reconcile that composed it returned, keyed by
// everything that depends on. Crossplane calls the function for every DataService on every
// reconcile, and the spec rarely changes: a reconcile of an unchanged DataService is answered from
// the replay, without decoding the XR, generating or converting the objects again (the CPU profile
// under load showed those as most of a reconcile). Only what differs from reconcile to reconcile
// is read: readiness from the observed objects, the desired XR of earlier pipeline steps. Safe for
// concurrent use; bounded, oldest DataServices evicted first.
type replays struct {
	mu    sync.Mutex
	last  map[string]*replay
	names []string
}

// replay is one remembered composition. Everything in it is read only: the composed objects are
// shared by every response that replays them.
type replay struct {
	key [sha256.Size]byte
	// generated are the generated objects by composed resource name, to judge readiness by.
	generated map[string]*unstructured.Unstructured
	// composed are the desired composed objects by name, as returned.
	composed map[string]*structpb.Struct
	// status are the fields of the DataService's status the function sets.
	status map[string]*structpb.Value
	// rejected is why the DataService is invalid, when it is: the reconciles of an unchanged
	// invalid DataService get its fatal result again without generating (a hostile spec within
	// the limits costs up to a second of CPU, every reconcile, for every tenant otherwise).
	rejected error
}

func (r *replays) get(name string, key [sha256.Size]byte) *replay {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p, ok := r.last[name]; ok && p.key == key {
		return p
	}
	return nil
}

func (r *replays) put(name string, p *replay) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		r.last = map[string]*replay{}
	}
	if _, ok := r.last[name]; !ok {
		if len(r.names) >= replaySize {
			delete(r.last, r.names[0])
			r.names = r.names[1:]
		}
		r.names = append(r.names, name)
	}
	r.last[name] = p
}

// replayKey hashes what a composition depends on: the input and the observed XR without its
// status and without the metadata the API server and Crossplane write (what FromComposite drops).
// It returns the DataService's name too; false when there is no observed XR.
func replayKey(req *fnv1.RunFunctionRequest) (string, [sha256.Size]byte, bool) {
	xr := req.GetObserved().GetComposite().GetResource()
	if xr == nil {
		return "", [sha256.Size]byte{}, false
	}
	h := sha256.New()
	// A missing input and an empty one are different: the one takes the defaults, the other is
	// fatal.
	if !write(h, "input", req.GetInput(), req.GetInput() != nil) {
		return "", [sha256.Size]byte{}, false
	}
	for _, k := range slices.Sorted(maps.Keys(xr.GetFields())) {
		v := xr.GetFields()[k]
		switch k {
		case "status":
			continue
		case "metadata":
			md := &structpb.Struct{Fields: map[string]*structpb.Value{}}
			for _, f := range []string{"name", "labels", "annotations"} {
				if fv, ok := v.GetStructValue().GetFields()[f]; ok {
					md.Fields[f] = fv
				}
			}
			if !write(h, k, md, v.GetStructValue() != nil) {
				return "", [sha256.Size]byte{}, false
			}
		default:
			if !write(h, k, v, true) {
				return "", [sha256.Size]byte{}, false
			}
		}
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	name := xr.GetFields()["metadata"].GetStructValue().GetFields()["name"].GetStringValue()
	return name, key, true
}

// write adds a labelled message to h, length-prefixed so that no two inputs hash alike.
func write(h hash.Hash, label string, m proto.Message, present bool) bool {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return false
	}
	var n [8]byte
	for _, part := range [][]byte{[]byte(label), {boolByte(present)}, b} {
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	return true
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// newReplay remembers a successful composition: the generated objects, the composed resources
// the response holds for them and the status fields.
func newReplay(key [sha256.Size]byte, out *generator.Output, rsp *fnv1.RunFunctionResponse) (*replay, error) {
	m, err := statusFields(out)
	if err != nil {
		return nil, err
	}
	st, err := structpb.NewStruct(m)
	if err != nil {
		return nil, err
	}
	p := &replay{key: key, generated: map[string]*unstructured.Unstructured{}, composed: map[string]*structpb.Struct{}, status: st.GetFields()}
	for _, u := range out.Objects() {
		name := string(composedName(u))
		p.generated[name] = u
		p.composed[name] = rsp.GetDesired().GetResources()[name].GetResource()
	}
	return p, nil
}

// respond answers req as the full path would: the desired XR of earlier steps with the XR's
// apiVersion and kind and the status fields set, and the composed resources with their readiness
// judged from what Crossplane observed. It declines (false) what only the full path answers
// exactly: composed resources desired by earlier steps (whose conversion the full path normalises)
// and a desired status that is not an object (an error).
func (p *replay) respond(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) bool {
	if len(req.GetDesired().GetResources()) > 0 {
		return false
	}
	dxr := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	maps.Copy(dxr.Fields, req.GetDesired().GetComposite().GetResource().GetFields())
	status := &structpb.Struct{Fields: map[string]*structpb.Value{}}
	switch v := dxr.Fields["status"]; {
	case v == nil || v.GetKind() == nil:
	case v.GetStructValue() != nil:
		maps.Copy(status.Fields, v.GetStructValue().GetFields())
	default:
		return false
	}
	maps.Copy(status.Fields, p.status)
	dxr.Fields["status"] = structpb.NewStructValue(status)
	oxr := req.GetObserved().GetComposite().GetResource().GetFields()
	dxr.Fields["apiVersion"] = structpb.NewStringValue(oxr["apiVersion"].GetStringValue())
	dxr.Fields["kind"] = structpb.NewStringValue(oxr["kind"].GetStringValue())

	desired := make(map[string]*fnv1.Resource, len(p.composed))
	for name, s := range p.composed {
		r := &fnv1.Resource{Resource: s, Ready: fnv1.Ready_READY_FALSE}
		if o, ok := req.GetObserved().GetResources()[name]; ok && isReady(p.generated[name], observedStatus(o)) {
			r.Ready = fnv1.Ready_READY_TRUE
		}
		desired[name] = r
	}
	cd := req.GetDesired().GetComposite().GetConnectionDetails()
	if cd == nil {
		cd = map[string][]byte{}
	}
	rsp.Desired = &fnv1.State{Composite: &fnv1.Resource{Resource: dxr, ConnectionDetails: cd}, Resources: desired}
	return true
}

// observedStatus is an observed composed resource with only its status, all readiness reads.
func observedStatus(o *fnv1.Resource) resource.ObservedComposed {
	obj := map[string]any{}
	if s := o.GetResource().GetFields()["status"].GetStructValue(); s != nil {
		obj["status"] = s.AsMap()
	}
	return resource.ObservedComposed{Resource: &composed.Unstructured{Unstructured: unstructured.Unstructured{Object: obj}}}
}
