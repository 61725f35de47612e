package function

import (
	"crypto/sha256"
	"encoding/binary"
	"maps"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/resource/composed"

	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/lru"
)

// replayBytes bounds what the remembered compositions take in memory: a control plane serves a few
// dozen DataServices (Klutch's take under 1 MiB each, the largest that fit through gRPC some
// 48 MiB); beyond, reconciles take the full path (the generator's cache still spares them most of
// it).
const replayBytes = 64 << 20

// replayMemory is how many times its protobuf encoding a remembered composition takes in memory:
// a composed object is held as a structpb.Struct (4.9 to 5.7 times its encoding over Klutch's
// examples) and as an unstructured object (3.3 to 4.1 times its JSON, about as large).
const replayMemory = 12

// replays remember, per DataService, what the last reconcile that composed it returned, keyed by
// everything that depends on. Crossplane calls the function for every DataService on every
// reconcile, and the spec rarely changes: a reconcile of an unchanged DataService is answered from
// the replay, without decoding the XR, generating or converting the objects again (the CPU profile
// under load showed those as most of a reconcile). Only what differs from reconcile to reconcile
// is read: readiness from the observed objects, the desired XR of earlier pipeline steps. Safe for
// concurrent use; bounded, least recently used DataServices evicted first.
type replays struct {
	last *lru.Map[string, *replay]
}

func newReplays() replays {
	return replays{last: lru.New(replayBytes, func(name string, p *replay) int64 {
		n := int64(len(name)) + p.size + lru.EntryOverhead
		if p.rejected != nil {
			n += int64(len(p.rejected.Error()))
		}
		return n
	})}
}

// replay is one remembered composition. Everything in it is read only: the composed objects are
// shared by every response that replays them.
type replay struct {
	key [sha256.Size]byte
	// generated are the composed objects by composed resource name, as generated or inside their
	// Object, to judge readiness by.
	generated map[string]*unstructured.Unstructured
	// composed are the desired composed objects by name, as returned.
	composed map[string]*structpb.Struct
	// status are the fields of the DataService's status the function sets.
	status map[string]*structpb.Value
	// rejected is why the DataService is invalid, when it is: the reconciles of an unchanged
	// invalid DataService get its fatal result again without generating (a hostile spec within
	// the limits costs up to a second of CPU, every reconcile, for every tenant otherwise).
	rejected error
	// results are the warnings the full path gave (what the generator assumed, what the function
	// assumed of the control plane).
	results []*fnv1.Result
	// requirements are what the full path asked Crossplane for, asked again by every response
	// (Crossplane calls a function until its requirements stay the same).
	requirements *fnv1.Requirements
	// size is what the replay takes in memory, estimated.
	size int64
}

func (r *replays) get(name string, key [sha256.Size]byte) *replay {
	if p, ok := r.last.Get(name); ok && p.key == key {
		return p
	}
	return nil
}

func (r *replays) put(name string, p *replay) { r.last.Put(name, p) }

// replayKey hashes what a composition depends on: what the request says of the control plane
// (controlplane.go), the input and the observed XR without its status and without the metadata the
// API server and Crossplane write (what FromComposite drops). It returns the DataService's name
// too; false when there is no observed XR.
//
// It runs on every reconcile, before anything else: hashing the deterministic protobuf encoding
// of the XR was 12% of the function's CPU at concurrency 16 (sorting map keys by reflection), so
// the values are written to the hash as they are walked (appendValue).
func replayKey(req *fnv1.RunFunctionRequest, o observation) (string, [sha256.Size]byte, bool) {
	xr := req.GetObserved().GetComposite().GetResource()
	if xr == nil {
		return "", [sha256.Size]byte{}, false
	}
	e := &keyEncoder{b: make([]byte, 0, 4<<10)}
	e.b = append(e.b, boolByte(o.capabilities), byte(o.crd))
	e.b = append(e.b, o.backends[:]...)
	// A missing input and an empty one are different: the one takes the defaults, the other is
	// fatal.
	e.b = append(e.b, boolByte(req.GetInput() != nil))
	e.appendStruct(req.GetInput())
	fields := xr.GetFields()
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		v := fields[k]
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
			e.appendString(k)
			e.b = append(e.b, boolByte(v.GetStructValue() != nil))
			e.appendStruct(md)
		default:
			e.appendString(k)
			e.appendValue(v)
		}
	}
	key := sha256.Sum256(e.b)
	name := fields["metadata"].GetStructValue().GetFields()["name"].GetStringValue()
	return name, key, true
}

// Tags of the values keyEncoder writes, one per kind, so that no two values write alike.
const (
	tagNone byte = iota
	tagNull
	tagNumber
	tagString
	tagBool
	tagStruct
	tagList
)

// keyEncoder writes an unambiguous encoding of protobuf Values: a tag for the kind, then the
// content, strings and containers prefixed by their length, an object's fields sorted by key. Two
// values write the same bytes exactly when their deterministic protobuf encodings are equal.
type keyEncoder struct {
	b []byte
	// keys holds the sorted keys of the objects being written, the innermost last: one slice for
	// all of them rather than one each.
	keys []string
}

func (e *keyEncoder) appendValue(v *structpb.Value) {
	switch k := v.GetKind().(type) {
	case *structpb.Value_NullValue:
		e.b = append(e.b, tagNull)
	case *structpb.Value_NumberValue:
		e.b = binary.BigEndian.AppendUint64(append(e.b, tagNumber), math.Float64bits(k.NumberValue))
	case *structpb.Value_StringValue:
		e.b = append(e.b, tagString)
		e.appendString(k.StringValue)
	case *structpb.Value_BoolValue:
		e.b = append(e.b, tagBool, boolByte(k.BoolValue))
	case *structpb.Value_StructValue:
		e.b = append(e.b, tagStruct)
		e.appendStruct(k.StructValue)
	case *structpb.Value_ListValue:
		vs := k.ListValue.GetValues()
		e.b = binary.AppendUvarint(append(e.b, tagList), uint64(len(vs)))
		for _, v := range vs {
			e.appendValue(v)
		}
	default:
		e.b = append(e.b, tagNone)
	}
}

// appendStruct writes the number of fields of s, then each key and value, sorted by key.
func (e *keyEncoder) appendStruct(s *structpb.Struct) {
	fields := s.GetFields()
	e.b = binary.AppendUvarint(e.b, uint64(len(fields)))
	start := len(e.keys)
	for k := range fields {
		e.keys = append(e.keys, k)
	}
	slices.Sort(e.keys[start:])
	for i := start; i < start+len(fields); i++ {
		// e.keys may grow (and move) while a value is written: index it anew.
		k := e.keys[i]
		e.appendString(k)
		e.appendValue(fields[k])
	}
	e.keys = e.keys[:start]
}

// appendString writes s prefixed by its length.
func (e *keyEncoder) appendString(s string) {
	e.b = append(binary.AppendUvarint(e.b, uint64(len(s))), s...)
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// newReplay remembers a successful composition: what was composed of the generated objects, the
// composed resources the response holds for them and the status fields.
func newReplay(key [sha256.Size]byte, out *generator.Output, list []composedObject, rsp *fnv1.RunFunctionResponse) (*replay, error) {
	m, err := statusFields(out)
	if err != nil {
		return nil, err
	}
	st, err := structpb.NewStruct(m)
	if err != nil {
		return nil, err
	}
	p := &replay{key: key, generated: map[string]*unstructured.Unstructured{}, composed: map[string]*structpb.Struct{},
		status: st.GetFields(), results: rsp.GetResults(), requirements: rsp.GetRequirements()}
	p.size = int64(proto.Size(st)) + int64(proto.Size(rsp.GetRequirements()))
	for _, c := range list {
		name := string(c.name)
		p.generated[name] = c.obj
		p.composed[name] = rsp.GetDesired().GetResources()[name].GetResource()
		p.size += replayMemory * int64(proto.Size(p.composed[name]))
	}
	for _, r := range p.results {
		p.size += int64(proto.Size(r))
	}
	return p, nil
}

// respond answers req as the full path would: the desired XR of earlier steps with the XR's
// apiVersion and kind and the status fields set, and the composed resources with their readiness
// judged from what Crossplane observed. It declines (false) what only the full path answers
// exactly: composed resources desired by earlier steps (whose conversion the full path normalises),
// a desired status that is not an object (an error), and a ChangesApplied condition to set right.
func (p *replay) respond(req *fnv1.RunFunctionRequest, rsp *fnv1.RunFunctionResponse) bool {
	if len(req.GetDesired().GetResources()) > 0 {
		return false
	}
	// A ChangesApplied condition to set right and the record of breaking changes applied to keep
	// on the XRD (live.go) are the full path's.
	if appliedRecord(req.GetObserved()) != "" {
		return false
	}
	conds := req.GetObserved().GetComposite().GetResource().GetFields()["status"].GetStructValue().GetFields()["conditions"].GetListValue()
	if conds != nil && changesStale(map[string]any{"status": map[string]any{"conditions": conds.AsSlice()}}, "") {
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
	rsp.Results = append(rsp.Results, p.results...)
	rsp.Requirements = p.requirements
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
