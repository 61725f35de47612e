package function

import (
	"context"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"sigs.k8s.io/yaml"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"
)

// warmUpXR is the DataService composed once at start-up. It is not any benchmark's or example's
// service: it declares one of each thing the generator turns into a CEL rule (an immutable service,
// each kind of plan change, a hidden plan, two compositions with an exclusive parameter, a rule on
// spec, rules on parameters, an int-or-string parameter), so that compiling them warms the CEL
// parser's and checker's lazily built tables for the constructs such rules use.
const warmUpXR = `apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata:
  name: function-dataservice-warm-up
spec:
  group: warm-up.function-dataservice.example.org
  kind: CacheInstance
  plan:
    changes:
      - noDownsizing: {sizes: [s, m, l]}
      - oneWay: {from: -one-, to: -ha-}
      - keep: {feature: tls}
    hidden: [cache-one-xs]
  fields:
    - name: tier
      schema: {type: string, enum: [a, b]}
  rules:
    - rule: "!has(self.tier) || self.tier != 'b' || self.plan.startsWith('cache-ha-')"
      message: tier b needs an ha plan
  parameters:
    schema:
      type: object
      properties:
        maxKeys:
          type: integer
          x-kubernetes-validations:
            - {rule: "self > 0 && self <= 1000000", message: out of range}
        policy:
          type: string
          x-kubernetes-validations:
            - {rule: "self in ['lru', 'lfu'] || self.matches('^[a-z]+$')", message: unknown policy}
        ratio:
          anyOf: [{type: integer}, {type: string}]
          x-kubernetes-int-or-string: true
  compositions:
    - name: warm-up-cache
      services: [cache-6, cache-7]
      plans: [cache-one-xs, cache-one-s, cache-one-m, cache-ha-m-tls, cache-ha-l-tls]
      exclusiveParameters: [policy]
      backend:
        apiVersion: dataservices.anynines.com/v1
        kind: ServiceInstance
        fields:
          - {from: spec.service, to: spec.forProvider.serviceName}
          - {from: spec.plan, to: spec.forProvider.planName}
    - name: warm-up-cache-elsewhere
      services: [cache-7]
      plans: [cache-one-s]
`

// WarmUp composes warmUpXR once, through the protobuf encoding of a request and its response as
// the gRPC server would decode and encode them, so that the one-time work of a process is done
// before the server serves: the API server's CEL environments and validators, which the generator
// builds on first use; the CEL parser's lexer and parser tables (ANTLR builds its DFA as it meets
// new input, so a warm-up without rules left that to the first request: 2 ms of CPU of it, from a
// profile); protobuf's message types, Struct conversion and the JSON and YAML codecs. What it does
// not warm is the work of the first request's own DataService: compiling the CEL rules of an XRD
// the process has not seen, which the generator's cache spares only later reconciles.
func (f *Function) WarmUp(ctx context.Context) error {
	var xr map[string]any
	if err := yaml.Unmarshal([]byte(warmUpXR), &xr); err != nil {
		return err
	}
	s, err := structpb.NewStruct(xr)
	if err != nil {
		return err
	}
	wire, err := proto.Marshal(&fnv1.RunFunctionRequest{
		Meta:     &fnv1.RequestMeta{Tag: "warm-up"},
		Observed: &fnv1.State{Composite: &fnv1.Resource{Resource: s}},
		Desired:  &fnv1.State{},
	})
	if err != nil {
		return err
	}
	req := &fnv1.RunFunctionRequest{}
	if err := proto.Unmarshal(wire, req); err != nil {
		return err
	}
	rsp, err := f.RunFunction(ctx, req)
	if err != nil {
		return err
	}
	for _, r := range rsp.GetResults() {
		if r.GetSeverity() == fnv1.Severity_SEVERITY_FATAL {
			return fmt.Errorf("warm-up DataService: %s", r.GetMessage())
		}
	}
	_, err = proto.Marshal(rsp)
	return err
}
