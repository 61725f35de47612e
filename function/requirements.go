package function

import (
	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// What the function asks Crossplane for is built here, in one place, from what each concern needs:
// the CRD of XRDs while the control plane's line is detected (controlplane.go), the CRDs of the
// kinds a DataService composes, to type-check against (backends.go), the existing instances of the
// API while a change of it is pending (live.go). Every response of a call asks
// for all of it again, fatal ones included: Crossplane calls a function until its requirements stay
// the same (at most 5 times), and each call's request holds what the last response asked for.

// requirement is one named resource selector the function asks for.
type requirement struct {
	name     string
	selector *fnv1.ResourceSelector
}

// requirementsOf is what a response asks for: rs as requirements.extra_resources, the field
// Crossplane 1.x reads (v1.20.7's FetchingFunctionRunner, v1.16's beta render) and v2 reads beside
// requirements.resources. On 1.x a selector is an apiVersion and kind with a name, or labels to
// list (no labels: every object of the kind, in every namespace); v2 adds a namespace. nil when
// the function needs nothing.
func requirementsOf(rs ...requirement) *fnv1.Requirements {
	if len(rs) == 0 {
		return nil
	}
	extra := make(map[string]*fnv1.ResourceSelector, len(rs))
	for _, r := range rs {
		extra[r.name] = r.selector
	}
	return &fnv1.Requirements{ExtraResources: extra} //nolint:staticcheck // the field Crossplane 1.x reads
}

// delivered is what a request holds for the requirement of a name, and whether Crossplane answered
// it at all (nil items: it found nothing). Crossplane 1.x answers requirements.extra_resources in
// extra_resources; v2 answers it there too, and requirements.resources in required_resources.
func delivered(req *fnv1.RunFunctionRequest, name string) (*fnv1.Resources, bool) {
	rs, ok := req.GetExtraResources()[name] //nolint:staticcheck // the field Crossplane 1.x fills
	if !ok {
		rs, ok = req.GetRequiredResources()[name]
	}
	return rs, ok
}
