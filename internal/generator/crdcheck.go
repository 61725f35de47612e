package generator

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"math"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	extvalidation "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/validation"
	apiservercel "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"k8s.io/apiserver/pkg/cel/environment"

	"github.com/function-dataservice/function-dataservice/internal/lru"
)

// The API server's validation of a CRD (ValidateCustomResourceDefinition) compiles every CEL rule
// of its schema, and compiling is most of what generating costs (85% of Klutch's MongoDB, about
// 1 ms per schema node with rules: two CEL environments are extended per node before its rules are
// parsed, checked and costed). The same rules come back again and again: in the composite's and
// the claim's CRD of every Crossplane v1 XRD, in every version, and in every generation of a
// DataService whose rules did not change. crdChecks answers a CRD from the API server's own
// verdicts on parts of it, remembered, and asks the API server about the whole CRD whenever the
// parts cannot say: a CRD is accepted only when the API server accepts it, and every error a spec
// gets comes from ValidateCustomResourceDefinition of the CRD itself.
//
// A CRD is split into
//   - the CRD without its CEL rules (stripped): every check that is not about CEL (names,
//     versions, structural schema, defaults, printer columns) on the real CRD;
//   - one unit per schema node with x-kubernetes-validations: a CRD of fixed names holding the
//     path from the root to the node, ancestors reduced to what the checks of its rules read of
//     them, and the node with its rules and its subtree, the subtree's own rules left to their units.
//
// Units of fixed names are shared: by the composite's and the claim's CRD below spec, by the
// versions, by every DataService with the same plans or parameters; a plan added to a spec
// recompiles the plan's rules and those that name plans. Why a unit gets the verdict the node's
// rules get in the whole CRD (validation.go of k8s.io/apiextensions-apiserver,
// ValidateCustomResourceDefinitionOpenAPISchema and CELSchemaContext):
//   - a rule compiles against the CEL type of its node. Where an ancestor has rules too, that type
//     is taken from the ancestor's (TypeInfo), which for every child is the child's own type
//     (SchemaDeclType recurses into properties, items and additionalProperties the same way),
//     except that a resource root's type replaces apiVersion, kind and metadata, and that a child
//     of no type has none, so its descendants' rules fail: both go to the API server whole;
//   - its cost is multiplied by the maxItems and maxProperties of the lists and maps above it
//     (MaxCardinality): ancestors keep type, maxItems, maxProperties and additionalProperties;
//   - oldSelf is refused below a list that is not a map list (forbidOldSelfValidations):
//     ancestors keep their list and map types, and list-map items their keys;
//   - rules compile only where the subtree has no schema error: the subtree is whole, and the
//     rules below it, left out, pass their own units' checks of their fields;
//   - errors would name the same paths, since the path from the root is kept.
//
// What no unit sees is checked here, and the whole CRD goes to the API server when it might fail:
//   - the estimated cost total of a version's rules (StaticEstimatedCRDCostLimit): each unit's is
//     computed with the API server's cel.Compile and CELSchemaContext when the version holds more
//     expressions than the limit allows at the per-expression limit (10), each expression being
//     within its own limit; below that the total cannot exceed the limit;
//   - defaults are checked by the rules of their subtree (structural defaulting runs the CEL
//     validator on each), with one runtime cost budget for the schema: a default above a rule
//     node, or defaults on two rule nodes, go to the API server whole.
//
// Versions whose schemas differ only in their rules are merged into one top-level schema by the
// conversion to the internal type once stripped; the checks of a top-level schema are those of
// each version's, with the status subresource of any version, so the stripped CRD is no less
// strict for it, and each version's rules are still checked, and costed, in its own units.
//
// The differential test (crdcheck_test.go) and FuzzGenerate compare both paths over every example,
// Klutch's XRDs and hand-made CRDs that reach each check above.
type crdChecks struct {
	// verdicts are the API server's on CRDs, by key: true when it found no error.
	verdicts *lru.Map[[sha256.Size]byte, bool]
	// costs are the estimated costs of rules (with their messageExpressions) where a unit puts
	// them, by ruleCostKey.
	costs *lru.Map[[sha256.Size]byte, uint64]
}

// A Checker is the API server's checks of the CRDs Crossplane derives from generated XRDs, with
// the verdicts and costs it remembers (crdChecks). Each is a pure function of its key, the JSON of
// a CRD (and of a rule) checked by the apiextensions-apiserver linked into this binary: sharing a
// Checker between calls and goroutines changes how long a check takes, never what it finds. It is
// a value its owner passes in (the function's Cache holds one; the CLI and tests may share one or
// take a fresh one per call), never process-wide state. Bounded in bytes (an entry is some 170),
// least recently used first out, so that the units every spec shares stay while specs come and go;
// safe for concurrent use.
type Checker struct {
	checks *crdChecks
}

// NewChecker returns a Checker whose verdicts take at most maxBytes, and its costs as much.
func NewChecker(maxBytes int64) *Checker { return &Checker{checks: newCRDChecks(maxBytes)} }

// perCallVerdicts bounds what a Checker made for one call remembers, in bytes: the units of the
// composite's and the claim's CRD of one XRD (some 500), which share most of them.
const perCallVerdicts = 96 << 10

// DefaultCheckerSize is what a long-lived Checker remembers, in bytes: the units of many specs,
// some 6,000 verdicts and as many costs.
const DefaultCheckerSize = 1 << 20

func newCRDChecks(maxBytes int64) *crdChecks {
	const entry = sha256.Size + 8 + lru.EntryOverhead // a key and a verdict or a cost
	return &crdChecks{verdicts: lru.New(maxBytes, lru.Fixed[[sha256.Size]byte, bool](entry)), costs: lru.New(maxBytes, lru.Fixed[[sha256.Size]byte, uint64](entry))}
}

// validate returns what ValidateCustomResourceDefinition finds in crd, and why the whole CRD was
// validated ("" when its parts answered). Once ctx ends it stops between parts, remembering no
// verdict it did not reach, and returns nothing: the caller reports ctx's error.
func (c *crdChecks) validate(ctx context.Context, crd *extv1.CustomResourceDefinition) (field.ErrorList, string) {
	k, err := key(crd)
	if err == nil {
		if ok, seen := c.verdicts.Get(k); seen && ok {
			return nil, ""
		}
	}
	sp, why := splitCRD(crd)
	if why == "" {
		why = c.answer(ctx, sp)
	}
	if ctx.Err() != nil {
		return nil, "stopped: " + ctx.Err().Error()
	}
	if why == "" {
		// The parts accept the CRD exactly when the API server accepts it whole.
		if err == nil {
			c.verdicts.Put(k, true)
		}
		return nil, ""
	}
	return validateWhole(crd), why
}

// key identifies a CRD by its JSON.
func key(crd *extv1.CustomResourceDefinition) ([sha256.Size]byte, error) {
	b, err := json.Marshal(crd)
	if err != nil {
		return [sha256.Size]byte{}, errors.Wrap(err, "cannot key the CRD")
	}
	return sha256.Sum256(b), nil
}

// validateWhole is the API server's validation of a CRD on create.
func validateWhole(crd *extv1.CustomResourceDefinition) field.ErrorList {
	internal, err := toInternal(crd)
	if err != nil {
		return field.ErrorList{field.InternalError(field.NewPath("spec"), err)}
	}
	return extvalidation.ValidateCustomResourceDefinition(context.Background(), internal)
}

func toInternal(crd *extv1.CustomResourceDefinition) (*apiextensions.CustomResourceDefinition, error) {
	internal := &apiextensions.CustomResourceDefinition{}
	if err := extv1.Convert_v1_CustomResourceDefinition_To_apiextensions_CustomResourceDefinition(crd, internal, nil); err != nil {
		return nil, errors.Wrap(err, "cannot convert the CRD")
	}
	return internal, nil
}

// answer says why the parts of a CRD cannot accept it, "" when they do. It stops, saying why, once
// ctx ends: compiling the CEL rules of a large spec takes seconds.
func (c *crdChecks) answer(ctx context.Context, sp *crdSplit) string {
	if ok, err := c.accepts(sp.stripped); err != nil {
		return err.Error()
	} else if !ok {
		return "the checks without CEL rules fail"
	}
	for _, ver := range sp.versions {
		for _, u := range ver.units {
			if err := ctx.Err(); err != nil {
				return "stopped: " + err.Error()
			}
			if ok, err := c.accepts(u.crd()); err != nil {
				return err.Error()
			} else if !ok {
				return "the CEL rules at " + u.at() + " fail"
			}
		}
		if ver.expressions <= maxExpressionsWithinTotal {
			continue
		}
		var total uint64
		for _, u := range ver.units {
			if err := ctx.Err(); err != nil {
				return "stopped: " + err.Error()
			}
			cost, err := c.cost(u)
			if err != nil {
				return err.Error()
			}
			total = addCost(total, cost)
		}
		if total > extvalidation.StaticEstimatedCRDCostLimit {
			return fmt.Sprintf("version %s: the rules' estimated cost total %d exceeds the limit", ver.name, total)
		}
	}
	return ""
}

// maxExpressionsWithinTotal is how many CEL expressions, each within the API server's
// per-expression cost limit, cannot exceed its limit for a whole CRD.
const maxExpressionsWithinTotal = extvalidation.StaticEstimatedCRDCostLimit / extvalidation.StaticEstimatedCostLimit

// accepts returns the verdict on crd, asking the API server when it has none.
func (c *crdChecks) accepts(crd *extv1.CustomResourceDefinition) (bool, error) {
	k, err := key(crd)
	if err != nil {
		return false, err
	}
	if ok, seen := c.verdicts.Get(k); seen {
		return ok, nil
	}
	internal, err := toInternal(crd)
	if err != nil {
		return false, err
	}
	ok := len(extvalidation.ValidateCustomResourceDefinition(context.Background(), internal)) == 0
	c.verdicts.Put(k, ok)
	return ok, nil
}

// cost is the estimated cost the API server adds to its CRD total for the rules of an accepted
// unit (TotalCost in validation.go). A rule's cost depends on nothing but the rule and the schema
// around it, so that each is compiled again only when one of them changed.
func (c *crdChecks) cost(u ruleUnit) (uint64, error) {
	bare, err := key(u.with(nil))
	if err != nil {
		return 0, err
	}
	var total uint64
	var missing []int
	keys := make([][sha256.Size]byte, len(u.node.XValidations))
	for i, r := range u.node.XValidations {
		b, err := json.Marshal(r)
		if err != nil {
			return 0, errors.Wrap(err, "cannot key a rule")
		}
		keys[i] = sha256.Sum256(append(bare[:], b...))
		if cost, ok := c.costs.Get(keys[i]); ok {
			total = addCost(total, cost)
		} else {
			missing = append(missing, i)
		}
	}
	if len(missing) == 0 {
		return total, nil
	}
	rules := make(extv1.ValidationRules, len(missing))
	for j, i := range missing {
		rules[j] = u.node.XValidations[i]
	}
	costs, err := ruleCosts(u.with(rules), u.hops)
	if err != nil {
		return 0, err
	}
	for j, i := range missing {
		c.costs.Put(keys[i], costs[j])
		total = addCost(total, costs[j])
	}
	return total, nil
}

// ruleCosts are the estimated costs the API server adds to its CRD total for each rule of the node
// at hops in a unit, with its own CELSchemaContext and cel.Compile, each rule's cost times its
// cardinality, plus its messageExpression's; only that sum (getExpressionCost, unexported) is
// repeated here. The unit is one the API server accepted, so every rule compiles.
func ruleCosts(crd *extv1.CustomResourceDefinition, hops []hop) ([]uint64, error) {
	internal, err := toInternal(crd)
	if err != nil {
		return nil, err
	}
	var s *apiextensions.JSONSchemaProps
	switch {
	case internal.Spec.Validation != nil:
		s = internal.Spec.Validation.OpenAPIV3Schema
	case len(internal.Spec.Versions) == 1 && internal.Spec.Versions[0].Schema != nil:
		s = internal.Spec.Versions[0].Schema.OpenAPIV3Schema
	}
	if s == nil {
		return nil, errors.New("the unit has no schema")
	}
	ctx := extvalidation.RootCELContext(s)
	for _, h := range hops {
		switch h.kind {
		case hopProperty:
			p := s.Properties[h.name]
			s = &p
			ctx = ctx.ChildPropertyContext(s, h.name)
		case hopAdditional:
			s = s.AdditionalProperties.Schema
			ctx = ctx.ChildAdditionalPropertiesContext(s)
		case hopItems:
			s = s.Items.Schema
			ctx = ctx.ChildItemsContext(s)
		}
	}
	ti, err := ctx.TypeInfo()
	if err != nil || ti == nil {
		return nil, errors.Errorf("cannot type the CEL rules' schema: %v", err)
	}
	envSet := environment.MustBaseEnvSet(environment.DefaultCompatibilityVersion())
	results, err := apiservercel.Compile(ti.Schema, ti.DeclType, celconfig.PerCallLimit, envSet, apiservercel.NewExpressionsEnvLoader())
	if err != nil {
		return nil, errors.Wrap(err, "cannot compile the CEL rules")
	}
	costs := make([]uint64, len(results))
	for i, r := range results {
		card := r.MaxCardinality
		if ctx.MaxCardinality != nil {
			card = *ctx.MaxCardinality
		}
		costs[i] = mulCost(r.MaxCost, card)
		if r.MessageExpressionError == nil && r.MessageExpression != nil {
			costs[i] = addCost(costs[i], r.MessageExpressionMaxCost)
		}
	}
	return costs, nil
}

// addCost and mulCost saturate at the largest cost, as the API server's sums and products do.
func addCost(a, b uint64) uint64 {
	if math.MaxUint64-a < b {
		return math.MaxUint64
	}
	return a + b
}

func mulCost(base, cardinality uint64) uint64 {
	if base == 0 {
		return 0
	}
	if math.MaxUint/base < cardinality {
		return math.MaxUint
	}
	return base * cardinality
}
