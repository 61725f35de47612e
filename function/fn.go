// Package function is the function-dataservice composition function: it composes the XRD, the
// Compositions and the APIServiceExportTemplate of a DataService composite resource, calling the one
// generator the dataservice CLI calls too.
package function

import (
	"context"
	"runtime"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"google.golang.org/grpc/status"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
	"github.com/crossplane/function-sdk-go/request"
	"github.com/crossplane/function-sdk-go/resource"
	"github.com/crossplane/function-sdk-go/response"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/backendcrd"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/livecheck"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// cacheBytes bounds what the generator's cache holds: the last output of each DataService (Klutch's
// take a few hundred KiB in memory, the largest that fit through gRPC some 24 MiB) and the keys
// of the XRDs it accepted.
const cacheBytes = 64 << 20

// Function composes the objects that serve a DataService.
type Function struct {
	fnv1.UnimplementedFunctionRunnerServiceServer

	log logging.Logger
	// generate is the generator with a cache, which spares it compiling the CEL rules of an XRD it
	// already accepted: Crossplane calls the function for every DataService on every reconcile,
	// and the XRDs rarely change.
	generate generateFn
	// slots bounds the generations running at once, those whose callers gave up included.
	slots chan struct{}
	// replays answer reconciles of unchanged DataServices as the last one was answered.
	replays replays
	// crds keeps the CRDs of composed kinds Crossplane delivered, decoded (backends.go).
	crds *crdCache
	// maxInstances bounds the existing instances a change is evaluated against (live.go).
	maxInstances int
}

// New returns a Function that logs to log.
func New(log logging.Logger) *Function {
	cache := generator.NewCache(cacheBytes)
	return &Function{
		log: log,
		generate: func(ctx context.Context, ds *v1alpha1.DataService, d inputv1beta1.Defaults, crds *backendcrd.Set) (*generator.Output, error) {
			return generator.GenerateWith(ctx, ds, d, generator.Options{Cache: cache, CRDs: crds})
		},
		slots:        make(chan struct{}, runtime.GOMAXPROCS(0)),
		replays:      newReplays(),
		crds:         newCRDCache(),
		maxInstances: livecheck.DefaultMaxInstances,
	}
}

// RunFunction composes the XRD, the Compositions and the APIServiceExportTemplate of the observed
// DataService, and reports the served API and the generated objects in its status.
//
// How they are composed depends on the Crossplane line of the control plane (controlplane.go): on
// 1.x the namespaced template goes inside a provider-kubernetes Object (object.go). The line is the
// input's controlPlane.crossplane, or detected: Crossplane v2.2 and later advertise capabilities;
// an older one is asked for one resource, the CRD of XRDs, as requirements.extra_resources, which
// Crossplane 1.x (v1.16's v1beta1 protocol too, served by the SDK) and v2 answer by calling the
// function again with it. The first call, which has no answer yet, returns only the requirements:
// that CRD and those of the kinds the DataService composes, which it is type-checked against
// (backends.go). While the XRD or a Composition it would compose differs from what Crossplane
// observes, it asks for the API's existing composites too and holds back a change that breaks any
// of them (live.go); requirements.go builds what it asks for. A call whose context ends before the objects are
// generated (Crossplane's deadline, a cancelled reconcile) returns the context's error as a gRPC
// status at once.
func (f *Function) RunFunction(ctx context.Context, req *fnv1.RunFunctionRequest) (*fnv1.RunFunctionResponse, error) {
	log := f.log.WithValues("tag", req.GetMeta().GetTag())
	log.Debug("Running function")

	rsp := response.To(req, response.DefaultTTL)

	// A reconcile of a DataService whose spec and input did not change, on a control plane that says
	// the same of itself, is answered as the last one was, with readiness judged anew (see replays).
	seen := observe(req)
	name, key, keyed := replayKey(req, seen)
	// The call of a reconcile that has the CRDs of the composed kinds and the one before it, which
	// asks for them, are answered differently: each is remembered apart (backends.go).
	name = replaySlot(name, req)
	if keyed {
		if p := f.replays.get(name, key); p != nil && p.rejected != nil {
			log.Debug("Invalid DataService, unchanged since it was rejected", "xr-name", name, "error", p.rejected)
			rsp.Requirements = p.requirements
			response.Fatal(rsp, p.rejected)
			return rsp, nil
		} else if p != nil && p.respond(req, rsp) {
			log.Debug("Composed DataService as in the last reconcile", "xr-name", name)
			return rsp, nil
		}
	}

	// The input is an opaque object nested in a Composition: the API server validates none of it.
	in, err := getInput(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "invalid Function input"))
		return rsp, nil
	}
	defaults := in.Defaults

	// Every response asks again for what the function asked for, fatal ones included: Crossplane
	// calls it until its requirements stay the same.
	cp := decideControlPlane(in.ControlPlane, seen)
	rsp.Requirements = requirementsOf(cp.requirement()...)

	oxr, err := request.GetObservedCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot get observed composite resource"))
		return rsp, nil
	}
	log = log.WithValues(
		"xr-version", oxr.Resource.GetAPIVersion(),
		"xr-kind", oxr.Resource.GetKind(),
		"xr-name", oxr.Resource.GetName(),
		"crossplane", cp.line.Name,
	)

	ds, unknown, err := dataServiceFrom(oxr.Resource)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot read the DataService from the observed composite resource"))
		return rsp, nil
	}

	// The CRDs of the kinds the DataService composes, asked for beside the CRD of XRDs
	// (backends.go). The call that asks for them composes without them, unchecked: Crossplane calls
	// again with them, and takes what that call composes.
	bk, err := f.crds.readBackends(req, generator.CRDsOf(ds, defaults))
	asked := append(cp.requirement(), bk.requirement()...)
	rsp.Requirements = requirementsOf(asked...)
	if err != nil {
		response.Fatal(rsp, err)
		return rsp, nil
	}
	if cp.unanswered {
		log.Debug("Asking Crossplane for the CRD of XRDs to tell its line", "requirements", rsp.GetRequirements())
		return rsp, nil
	}

	// A rejection is remembered when the generation ends, also when this caller gave up on it.
	remember := func(err error) {
		var ie *generator.InvalidError
		if keyed && errors.As(err, &ie) {
			f.replays.put(name, &replay{key: key, rejected: invalid(ds.GetName(), unknown, err), requirements: rsp.GetRequirements()})
		}
	}
	out, err := f.generateWithin(ctx, ds, defaults, bk.set, remember)
	if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		log.Info("Gave up generating: the caller is gone", "error", err)
		return nil, status.FromContextError(err).Err()
	}
	if err := invalid(ds.GetName(), unknown, err); err != nil {
		// Nothing is composed from an invalid DataService: what an earlier step desired stays, and
		// Crossplane keeps the objects composed from the last valid spec until the spec is fixed.
		log.Info("Invalid DataService", "error", err)
		response.Fatal(rsp, err)
		return rsp, nil
	}

	// An API the control plane cannot serve is refused: composing its XRD would only fail there.
	if api, ok := xpline.OfXRD(out.XRD.GetAPIVersion()); ok {
		if msg := cp.refuse(ds.GetName(), api); msg != "" {
			log.Info("DataService generates an API this control plane cannot serve", "api", api.Name)
			err := errors.New(msg)
			if keyed {
				f.replays.put(name, &replay{key: key, rejected: err, requirements: rsp.GetRequirements()})
			}
			response.Fatal(rsp, err)
			return rsp, nil
		}
	}

	observed, err := request.GetObservedComposedResources(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot get observed composed resources"))
		return rsp, nil
	}

	// What earlier steps of the pipeline desired is kept; only our own names are (re)set.
	desired, err := request.GetDesiredComposedResources(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot get desired composed resources"))
		return rsp, nil
	}

	list, err := toCompose(out, cp, ds.GetName())
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot compose the generated objects"))
		return rsp, nil
	}
	composed, err := composedResources(list, observed)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot compose the generated objects"))
		return rsp, nil
	}

	// A change of the API that breaks its existing instances is held back (live.go): composed as
	// observed, and reported. The instances are asked for only while a change is pending.
	var verdict *liveVerdict
	if p := pendingChange(list, observed); p != nil {
		rsp.Requirements = requirementsOf(append(asked, p.instancesRequirement())...)
		items, ok := delivered(req, requiredInstances)
		if !ok {
			log.Debug("Asking Crossplane for the existing instances of the API, whose change is pending", "changed", p.changed)
			return rsp, nil
		}
		if verdict, err = judge(ctx, ds, out, p, items.GetItems(), f.maxInstances); err != nil {
			response.Fatal(rsp, err)
			return rsp, nil
		}
		if err := verdict.holdBack(composed, observed); err != nil {
			response.Fatal(rsp, errors.Wrap(err, "cannot hold back the change"))
			return rsp, nil
		}
		log.Info("Evaluated a change of the API against its existing instances", "changed", p.changed, "instances", verdict.report.Total,
			"breaking", len(verdict.report.Changes), "resizes", len(verdict.report.Resizes), "held-back", verdict.keep, "allowed", verdict.allowed)
	}
	for name, dcd := range composed {
		desired[name] = dcd
	}

	dxr, err := request.GetDesiredCompositeResource(req)
	if err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot get desired composite resource"))
		return rsp, nil
	}
	// Crossplane needs only the status of the desired XR, but an unstructured object without
	// apiVersion and kind cannot be converted; Crossplane ignores both.
	dxr.Resource.SetAPIVersion(oxr.Resource.GetAPIVersion())
	dxr.Resource.SetKind(oxr.Resource.GetKind())
	if err := setStatus(dxr.Resource, out); err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot set the status of the DataService"))
		return rsp, nil
	}

	// What the function assumed of the control plane, and what the generator assumed that the
	// DataService does not say, as the CLI prints it.
	if cp.assumed != "" {
		response.Warning(rsp, errors.New(cp.assumed))
	}
	for _, n := range out.Notes {
		response.Warning(rsp, errors.New(n))
	}
	for _, w := range bk.warnings() {
		response.Warning(rsp, errors.New(w))
	}
	// What a pending change does to existing instances; once nothing is pending, a condition that
	// says otherwise is set right: True, or what the annotation applied (the XRD's record).
	record := appliedRecord(req.GetObserved())
	stale := changesStale(oxr.Resource.Object, record)
	switch {
	case verdict != nil:
		record = verdict.respond(rsp, record)
	case stale && record != "":
		response.ConditionTrue(rsp, conditionChangesApplied, reasonAllowed).WithMessage(record)
	case stale:
		response.ConditionTrue(rsp, conditionChangesApplied, reasonApplied).WithMessage(msgApplied)
	}
	withRecord(desired, record)

	if err := response.SetDesiredCompositeResource(rsp, dxr); err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot set desired composite resource"))
		return rsp, nil
	}
	if err := response.SetDesiredComposedResources(rsp, desired); err != nil {
		response.Fatal(rsp, errors.Wrap(err, "cannot set desired composed resources"))
		return rsp, nil
	}

	// A response that depends on more than the spec (the instances, the condition it sets right,
	// the XRD's record) is not replayed.
	if keyed && verdict == nil && !stale && record == "" {
		if p, err := newReplay(key, out, list, rsp); err == nil {
			f.replays.put(name, p)
		}
	}
	log.Debug("Composed DataService", "composed", len(composed), "ready", countReady(composed))
	return rsp, nil
}

// countReady counts the composed resources that are ready, for the log.
func countReady(dcds map[resource.Name]*resource.DesiredComposed) int {
	n := 0
	for _, dcd := range dcds {
		if dcd.Ready == resource.ReadyTrue {
			n++
		}
	}
	return n
}
