package generator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// What a DataService composes goes through gRPC twice: in the function's response, and again in
// every following request, where Crossplane sends the composed objects back as it observes them.
// Both are limited to MaxMessage: the function server refuses a larger request (its
// --max-recv-message-size), and Crossplane's client a larger response. Objects within the size the
// API server stores can still add up beyond it: a 186 KB spec made a 4.9 MB response; a 732 KB
// spec composed once, after which every request was refused and the DataService never reconciled
// again. So the generator estimates both messages, in the bytes of their protobuf encoding, and
// refuses a DataService whose messages would not fit.
//
// The estimate (RequestSize) is the protobuf encoding of each object as a google.protobuf.Struct,
// computed exactly from its JSON (wireSize), plus what the API server and Crossplane add to it:
//   - its managed fields: Crossplane applies composed objects with server-side apply, which
//     records every field it set. They are counted as the object's field set (every key of every
//     map, prefixed "f:", lists as one field): what structured-merge-diff records for fields
//     without a schema, and for Crossplane's XRD and Composition schemas, whose large lists
//     (versions, resources) are atomic;
//   - ObservedOverhead for the rest of its metadata and its status: uid, resourceVersion,
//     generation, timestamps, Crossplane's labels, annotation and owner reference, finalizers, the
//     managed fields of the other field managers and their headers, the XRD's conditions and
//     controllers. Measured on a control plane (TestControlPlaneInstallsPackagesAndComposesDataService,
//     RequestFitsTheEstimate, which builds the request as Crossplane does and fails if it is
//     larger than estimated): metadata, managed fields and status added 3.0 KiB to the XRD of
//     Klutch's MongoDB, 1.3 KiB to its Composition, 1.1 KiB to its export template; the request
//     took 19 KB, estimated 62 KB (for large objects the estimate is their exact size plus
//     their field set, and these constants matter less);
//   - the observed DataService: its spec, its field set (the managed fields of whoever applied
//     it), at most AnnotationsLimit more for kubectl's last-applied-configuration annotation
//     (client-side apply copies the object into it), and ObservedOverhead for its metadata and
//     status, plus ResourceRefSize per composed object for Crossplane's resource references;
//   - MessageOverhead for the rest of the request: the function's input, the protobuf framing.
const (
	// MaxMessage is the gRPC message size Crossplane and the function exchange by default (gRPC's
	// default receive limit, which both keep).
	MaxMessage = 4 << 20
	// ObservedOverhead is what metadata and status add to an observed object, beyond its managed
	// fields.
	ObservedOverhead = 8 << 10
	// AnnotationsLimit is the API server's limit on the annotations of one object together.
	AnnotationsLimit = 256 << 10
	// ResourceRefSize is one of Crossplane's references to a composed object in its composite.
	ResourceRefSize = 256
	// MessageOverhead is the rest of a request or response.
	MessageOverhead = 16 << 10
)

// Wire is the estimated size of a composed object in the function's messages.
type Wire struct {
	// What names the object, e.g. `Composition "a9s-mongodb"`.
	What string
	// Desired is its size in the response; Observed in the next request.
	Desired, Observed int64
}

// ObjectWire estimates the sizes of an object, given as JSON, in the function's messages.
func ObjectWire(what string, obj []byte) (Wire, error) {
	v, fs, err := wireSize(obj)
	if err != nil {
		return Wire{}, fmt.Errorf("cannot measure %s: %w", what, err)
	}
	return Wire{What: what, Desired: v, Observed: v + fs + ObservedOverhead}, nil
}

// RequestSize estimates the request Crossplane sends once the objects are composed: the observed
// DataService (its JSON, spec) and every object as observed (see the comment above).
func RequestSize(spec []byte, objs []Wire) (int64, error) {
	v, fs, err := wireSize(spec)
	if err != nil {
		return 0, fmt.Errorf("cannot measure the DataService: %w", err)
	}
	n := v + fs + min(int64(len(spec)), AnnotationsLimit) + ObservedOverhead + MessageOverhead
	for _, o := range objs {
		n += o.Observed + ResourceRefSize
	}
	return n, nil
}

// ResponseSize estimates the function's response: the objects as desired, the status it sets, the
// warnings it returns.
func ResponseSize(objs []Wire, notes []string) int64 {
	n := int64(MessageOverhead)
	for _, o := range objs {
		n += o.Desired
	}
	for _, note := range notes {
		n += int64(len(note)) + 16
	}
	return n
}

// checkWire refuses a DataService whose response or next request would pass MaxMessage, naming
// the largest objects.
func checkWire(spec []byte, objs []Wire, notes []string) (*field.Error, error) {
	req, err := RequestSize(spec, objs)
	if err != nil {
		return nil, err
	}
	rsp := ResponseSize(objs, notes)
	if req <= MaxMessage && rsp <= MaxMessage {
		return nil, nil
	}
	const mib = 1 << 20
	largest := slices.Clone(objs)
	slices.SortStableFunc(largest, func(a, b Wire) int { return int(b.Observed - a.Observed) })
	var parts []string
	for i, o := range largest {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("%d more", len(largest)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.1f MiB", o.What, float64(o.Observed)/mib))
	}
	return &field.Error{Type: field.ErrorTypeTooLong, Field: "spec", BadValue: max(req, rsp),
		Detail: fmt.Sprintf("what the DataService composes does not fit through Crossplane: the function's response would take an estimated %.1f MiB and the next request to it (the composed objects observed, with their metadata and managed fields) %.1f MiB, and Crossplane and the function exchange at most %.1f MiB per gRPC message; largest: %s: compose less (fewer compositions or versions, parameters nested less deeply, shorter names and descriptions), or split the data service into several",
			float64(rsp)/mib, float64(req)/mib, float64(MaxMessage)/mib, strings.Join(parts, ", "))}, nil
}

// wireSize returns the size of a JSON object's protobuf encoding as a google.protobuf.Struct,
// which is how Crossplane and the function exchange objects, and that of its field set (every key
// of every map, prefixed "f:", leaves and lists as empty objects), as a Struct too. It reads the
// JSON as a stream: nothing of the size of the object is allocated.
func wireSize(obj []byte) (value, fieldSet int64, err error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return 0, 0, err
	}
	if t != json.Delim('{') {
		return 0, 0, errors.New("not a JSON object")
	}
	return structSize(dec)
}

// structSize reads the rest of a JSON object after its '{' and returns the size of the Struct
// message holding it and of that holding its field set.
func structSize(dec *json.Decoder) (value, fieldSet int64, err error) {
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return 0, 0, err
		}
		k, ok := t.(string)
		if !ok {
			return 0, 0, fmt.Errorf("object key %v is not a string", t)
		}
		v, fs, err := valueSize(dec)
		if err != nil {
			return 0, 0, err
		}
		// A map entry (field 1 of Struct): the key (field 1) and the Value (field 2).
		value += lengthDelimited(lengthDelimited(int64(len(k))) + lengthDelimited(v))
		fieldSet += lengthDelimited(lengthDelimited(int64(len(k))+2) + lengthDelimited(fs))
	}
	if _, err := dec.Token(); err != nil { // '}'
		return 0, 0, err
	}
	return value, fieldSet, nil
}

// valueSize reads one JSON value and returns the size of the google.protobuf.Value message holding
// it, and of the Value holding its field set: a Struct for an object, an empty Struct otherwise.
func valueSize(dec *json.Decoder) (value, fieldSet int64, err error) {
	const emptyStruct = 2 // the struct_value field, empty
	t, err := dec.Token()
	if err != nil {
		return 0, 0, err
	}
	switch t := t.(type) {
	case nil, bool:
		return 2, emptyStruct, nil // a varint field of one byte
	case json.Number:
		return 9, emptyStruct, nil // a double
	case string:
		return lengthDelimited(int64(len(t))), emptyStruct, nil
	case json.Delim:
		switch t {
		case '{':
			v, fs, err := structSize(dec)
			if err != nil {
				return 0, 0, err
			}
			return lengthDelimited(v), lengthDelimited(fs), nil
		case '[':
			var l int64
			for dec.More() {
				v, _, err := valueSize(dec)
				if err != nil {
					return 0, 0, err
				}
				l += lengthDelimited(v)
			}
			if _, err := dec.Token(); err != nil { // ']'
				return 0, 0, err
			}
			return lengthDelimited(l), emptyStruct, nil
		}
	}
	return 0, 0, fmt.Errorf("unexpected JSON token %v", t)
}

// lengthDelimited is the size of a length-delimited protobuf field of n bytes with a one-byte tag.
func lengthDelimited(n int64) int64 { return 1 + varintSize(n) + n }

func varintSize(n int64) int64 {
	s := int64(1)
	for ; n >= 0x80; n >>= 7 {
		s++
	}
	return s
}
