// Package compat compares two versions of data service APIs the way an app developer with existing
// claims sees them: the XRD (names, versions, schema, connection secret keys), the Compositions claims
// select, and the export templates app clusters bind through. Each difference becomes a Change,
// classified as safe or breaking with a one-line reason, so that CI can refuse a release that would
// break claims already in use. It does no I/O.
//
// schema.go walks two OpenAPI schemas, constraints.go compares one node's constraints, and
// plans.go judges the plan and service rules by what they answer over what the resolved API of
// each release offers (generator.ReadAPI).
package compat

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Kind classifies a change. Kinds are part of the JSON output, so they are never renamed.
type Kind string

// Kinds of changes.
const (
	// APIs.
	APIRemoved Kind = "APIRemoved"
	APIAdded   Kind = "APIAdded"

	// Identity of the API: no new version can bridge these.
	CrossplaneLineChanged Kind = "CrossplaneLineChanged"
	GroupChanged          Kind = "GroupChanged"
	NamesChanged          Kind = "NamesChanged"
	ScopeChanged          Kind = "ScopeChanged"
	ShortNamesChanged     Kind = "ShortNamesChanged"
	CategoriesChanged     Kind = "CategoriesChanged"

	// Versions.
	VersionRemoved       Kind = "VersionRemoved"
	VersionAdded         Kind = "VersionAdded"
	VersionDeprecated    Kind = "VersionDeprecated"
	ReferenceableChanged Kind = "ReferenceableChanged"

	// Schema of a served version.
	FieldRemoved        Kind = "FieldRemoved"
	FieldAdded          Kind = "FieldAdded"
	RequiredFieldAdded  Kind = "RequiredFieldAdded"
	FieldRequired       Kind = "FieldRequired"
	FieldOptional       Kind = "FieldOptional"
	TypeChanged         Kind = "TypeChanged"
	EnumAdded           Kind = "EnumAdded"
	EnumRemoved         Kind = "EnumRemoved"
	EnumValueRemoved    Kind = "EnumValueRemoved"
	EnumValueAdded      Kind = "EnumValueAdded"
	PlanRemoved         Kind = "PlanRemoved"
	PlanAdded           Kind = "PlanAdded"
	ServiceRemoved      Kind = "ServiceRemoved"
	ServiceAdded        Kind = "ServiceAdded"
	ValidationTightened Kind = "ValidationTightened"
	ValidationLoosened  Kind = "ValidationLoosened"
	RuleAdded           Kind = "RuleAdded"
	RuleChanged         Kind = "RuleChanged"
	RuleRemoved         Kind = "RuleRemoved"
	RuleMessageChanged  Kind = "RuleMessageChanged"
	DefaultChanged      Kind = "DefaultChanged"
	DefaultRemoved      Kind = "DefaultRemoved"
	SchemaChanged       Kind = "SchemaChanged"
	DescriptionChanged  Kind = "DescriptionChanged"
	PrinterColumnsEdit  Kind = "PrinterColumnsChanged"

	// Behaviour of the XRD beside its schema.
	ConnectionSecretKeyRemoved Kind = "ConnectionSecretKeyRemoved"
	ConnectionSecretKeyAdded   Kind = "ConnectionSecretKeyAdded"
	DeletePolicyChanged        Kind = "DeletePolicyChanged"

	// Compositions claims select.
	CompositionRemoved          Kind = "CompositionRemoved"
	CompositionAdded            Kind = "CompositionAdded"
	DefaultCompositionRemoved   Kind = "DefaultCompositionRemoved"
	DefaultCompositionChanged   Kind = "DefaultCompositionChanged"
	EnforcedCompositionChanged  Kind = "EnforcedCompositionChanged"
	CompositionTypeRefOutOfDate Kind = "CompositionTypeRefOutOfDate"

	// Export templates app clusters bind through.
	ExportRemoved           Kind = "ExportRemoved"
	ExportAdded             Kind = "ExportAdded"
	ExportSelectorChanged   Kind = "ExportSelectorChanged"
	PermissionClaimsChanged Kind = "PermissionClaimsChanged"
	ExportChanged           Kind = "ExportChanged"
)

// Change is one difference between the old and the new API.
type Change struct {
	// API is the name of the XRD the change belongs to (the old one when it was renamed).
	API string `json:"api"`
	// Path locates the change: a field of the claim (spec.plan), of the XRD (xrd.spec.group), a
	// Composition (composition[a9s-mongodb]) or an export template (exportTemplate[klutch-bind]…).
	Path string `json:"path"`
	// Kind classifies the change.
	Kind Kind `json:"kind"`
	// Breaking says whether existing claims, or app developers using them, break.
	Breaking bool `json:"breaking"`
	// Reason says in one line what changed and why that is safe or breaks.
	Reason string `json:"reason"`
}

// Report is the result of a comparison.
type Report struct {
	// Breaking says whether any change breaks.
	Breaking bool `json:"breaking"`
	// Changes are breaking changes first, then safe ones, each group ordered by API and path.
	Changes []Change `json:"changes"`
	// Suggestion says how to ship the breaking changes safely, or that no safe path exists; empty
	// when nothing breaks.
	Suggestion string `json:"suggestion"`
}

// Object is an object taking part in a comparison and where it came from, for messages.
type Object struct {
	// Where names the origin, e.g. a file and line.
	Where string
	// Object is the object.
	Object *unstructured.Unstructured
}

// API is one data service API: its XRD and the objects that serve it.
type API struct {
	XRD             Object
	Compositions    []Object
	ExportTemplates []Object
}

// Name of the API: the name of its XRD.
func (a API) Name() string { return a.XRD.Object.GetName() }

// Compare compares the APIs of an old release with those of a new one. APIs are matched by XRD name;
// when exactly one API on each side is left unmatched they are compared with each other, so that a
// renamed group or kind shows as what it is rather than as one API removed and another added.
func Compare(old, next []API) (Report, error) {
	if err := checkUnique(old); err != nil {
		return Report{}, errors.Wrap(err, "old")
	}
	if err := checkUnique(next); err != nil {
		return Report{}, errors.Wrap(err, "new")
	}
	var changes []Change
	matched := map[string]bool{}
	var unmatchedOld []API
	for _, o := range old {
		i := slices.IndexFunc(next, func(n API) bool { return n.Name() == o.Name() })
		if i < 0 {
			unmatchedOld = append(unmatchedOld, o)
			continue
		}
		matched[o.Name()] = true
		cs, err := compareAPI(o, next[i])
		if err != nil {
			return Report{}, err
		}
		changes = append(changes, cs...)
	}
	var unmatchedNew []API
	for _, n := range next {
		if !matched[n.Name()] {
			unmatchedNew = append(unmatchedNew, n)
		}
	}
	if len(unmatchedOld) == 1 && len(unmatchedNew) == 1 {
		cs, err := compareAPI(unmatchedOld[0], unmatchedNew[0])
		if err != nil {
			return Report{}, err
		}
		changes = append(changes, cs...)
	} else {
		for _, o := range unmatchedOld {
			changes = append(changes, Change{API: o.Name(), Path: "xrd", Kind: APIRemoved, Breaking: true,
				Reason: "the API is gone: every existing claim of it is orphaned"})
		}
		for _, n := range unmatchedNew {
			changes = append(changes, Change{API: n.Name(), Path: "xrd", Kind: APIAdded,
				Reason: "new API"})
		}
	}
	return newReport(changes, referenceable(old)), nil
}

func checkUnique(apis []API) error {
	seen := map[string]string{}
	for _, a := range apis {
		if w, ok := seen[a.Name()]; ok {
			return errors.Errorf("XRD %s is defined twice, in %s and in %s: pass each API once", a.Name(), w, a.XRD.Where)
		}
		seen[a.Name()] = a.XRD.Where
	}
	return nil
}

// referenceable maps each API to its referenceable version, for suggestions.
func referenceable(apis []API) map[string]string {
	m := map[string]string{}
	for _, a := range apis {
		if x, err := decodeXRD(a.XRD); err == nil {
			m[a.Name()] = x.referenceable()
		}
	}
	return m
}

func newReport(changes []Change, versions map[string]string) Report {
	changes = renameHints(changes)
	slices.SortStableFunc(changes, func(a, b Change) int {
		if a.Breaking != b.Breaking {
			if a.Breaking {
				return -1
			}
			return 1
		}
		return cmp.Or(cmp.Compare(a.API, b.API), cmp.Compare(a.Path, b.Path), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Reason, b.Reason))
	})
	changes = slices.Compact(changes)
	r := Report{Changes: changes}
	if r.Changes == nil {
		r.Changes = []Change{}
	}
	for _, c := range changes {
		r.Breaking = r.Breaking || c.Breaking
	}
	r.Suggestion = suggest(changes, versions)
	return r
}

// compareAPI compares one API with its next release.
func compareAPI(o, n API) ([]Change, error) {
	ox, err := decodeXRD(o.XRD)
	if err != nil {
		return nil, err
	}
	nx, err := decodeXRD(n.XRD)
	if err != nil {
		return nil, err
	}
	oc, err := decodeCompositions(o.Compositions)
	if err != nil {
		return nil, err
	}
	nc, err := decodeCompositions(n.Compositions)
	if err != nil {
		return nil, err
	}
	c := &comparison{api: o.Name()}
	c.identity(ox, nx)
	ocs, ncs := knownCompositions(ox, oc), knownCompositions(nx, nc)
	c.compositions(ocs, ncs)
	c.parameterKeys(oc, nc)
	if err := c.planValues(o, n); err != nil {
		return nil, err
	}
	c.versions(ox, nx, ncs)
	c.schemas(ox, nx, ocs, ncs)
	od, err := domainOf(o)
	if err != nil {
		return nil, err
	}
	nd, err := domainOf(n)
	if err != nil {
		return nil, err
	}
	if err := c.planChanges(o.XRD.Object, n.XRD.Object, od, nd); err != nil {
		return nil, err
	}
	c.connectionSecretKeys(ox.spec.ConnectionSecretKeys, nx.spec.ConnectionSecretKeys)
	c.exports(o.ExportTemplates, n.ExportTemplates)
	return c.changes, nil
}

// comparison collects the changes of one API.
type comparison struct {
	api     string
	changes []Change
}

func (c *comparison) breaking(path string, k Kind, format string, args ...any) {
	c.changes = append(c.changes, Change{API: c.api, Path: path, Kind: k, Breaking: true, Reason: fmt.Sprintf(format, args...)})
}

func (c *comparison) safe(path string, k Kind, format string, args ...any) {
	c.changes = append(c.changes, Change{API: c.api, Path: path, Kind: k, Reason: fmt.Sprintf(format, args...)})
}

// add records a change whose classification depends on the case.
func (c *comparison) add(breaking bool, path string, k Kind, format string, args ...any) {
	if breaking {
		c.breaking(path, k, format, args...)
		return
	}
	c.safe(path, k, format, args...)
}

// Kinds whose breakage a new API version served beside the old one avoids: existing claims keep the
// old version's schema.
var versionable = map[Kind]bool{
	FieldRemoved: true, PossibleRename: true, RequiredFieldAdded: true, FieldRequired: true, TypeChanged: true,
	EnumAdded: true, EnumValueRemoved: true, PlanRemoved: true, ServiceRemoved: true,
	ValidationTightened: true, RuleAdded: true, RuleChanged: true, DefaultChanged: true, SchemaChanged: true,
}

// Versionable says whether a breaking change of this kind could ship safely as a new version served
// beside the old one.
func Versionable(k Kind) bool { return versionable[k] }

// Kinds that make a different API: no version bridges them.
var identity = map[Kind]bool{
	CrossplaneLineChanged: true, GroupChanged: true, NamesChanged: true, ScopeChanged: true, APIRemoved: true,
}

// suggest says how the breaking changes could ship safely, and where no such path exists. versions
// are the referenceable versions of the old APIs.
func suggest(changes []Change, versions map[string]string) string {
	return suggestFor(changes, versions, false)
}

// ForDataService rewrites the suggestion for a new release that comes from DataServices: a
// DataService serves one schema at every version, so a new version cannot keep an old schema, and
// the generated files may not be edited; each fix it suggests is one a DataService expresses.
func (r *Report) ForDataService() { r.Suggestion = suggestFor(r.Changes, nil, true) }

// dataServiceFixes says, per breaking kind, how a DataService ships it without breaking claims.
var dataServiceFixes = []struct {
	kinds []Kind
	fix   string
}{
	{[]Kind{PlanRemoved}, "To retire a plan, keep it in the composition's plans and list it in spec.plan.hidden: instances that have it keep it, new claims cannot choose it (dataservice plans shows it as kept)."},
	{[]Kind{PlanChangeRefused, ValueRefused}, "Plan changes existing claims could make are refused now: if they must keep them, keep the old plan rules (dataservice plans shows the grid of each release); to stop new moves to a plan, hide it with spec.plan.hidden instead."},
	{[]Kind{ServiceRemoved}, "Keep removed services in the compositions until no claim uses them."},
	{[]Kind{FieldRemoved, PossibleRename}, "Keep removed fields (say in their description that they are deprecated) until no claim sets them."},
	{[]Kind{ParameterKeyChanged}, "Keep the keys backends read their parameters under: set spec.parameters.keys (or keyStyle) to the old ones until every backend reads the new ones."},
	{[]Kind{RequiredFieldAdded, FieldRequired}, "Make new required fields optional, or give them a default."},
	{[]Kind{TypeChanged, SchemaChanged}, "Add a field of the new type beside the one whose type changes, and keep the old one until no claim sets it."},
	{[]Kind{EnumAdded, EnumValueRemoved}, "Keep the values existing claims may hold in the enum."},
	{[]Kind{ValidationTightened, RuleAdded, RuleChanged}, "Write new or tighter rules so that they hold for every value existing claims may hold, e.g. as transition rules (oldSelf) on what changes."},
	{[]Kind{DefaultChanged}, "Keep the default: the API server applies it to existing claims that omit the field."},
}

func suggestFor(changes []Change, versions map[string]string, dataService bool) string {
	var schema, ident, version, reference, comps, export, keys, paramKeys, breaks bool
	kinds := map[Kind]bool{}
	cur := ""
	for _, c := range changes {
		if !c.Breaking {
			continue
		}
		breaks = true
		kinds[c.Kind] = true
		if versionable[c.Kind] && cur == "" {
			cur = versions[c.API]
		}
		schema = schema || versionable[c.Kind]
		ident = ident || identity[c.Kind]
		version = version || c.Kind == VersionRemoved
		reference = reference || c.Kind == ReferenceableChanged || c.Kind == CompositionTypeRefOutOfDate
		comps = comps || c.Kind == CompositionRemoved || c.Kind == DefaultCompositionRemoved || c.Kind == EnforcedCompositionChanged
		export = export || c.Kind == ExportRemoved || c.Kind == ExportSelectorChanged || c.Kind == PermissionClaimsChanged
		keys = keys || c.Kind == ConnectionSecretKeyRemoved
		paramKeys = paramKeys || c.Kind == ParameterKeyChanged
	}
	if !breaks {
		return ""
	}
	var s []string
	if dataService {
		for _, f := range dataServiceFixes {
			if slices.ContainsFunc(f.kinds, func(k Kind) bool { return kinds[k] }) {
				s = append(s, f.fix)
			}
		}
		schema = false
	}
	if schema {
		if cur == "" {
			cur = "v1"
		}
		next := nextVersion(cur)
		s = append(s, fmt.Sprintf("The schema changes can ship safely as a new version served beside the old one: keep %[1]s "+
			"with its current schema and make the changes in %[2]s, e.g. versions: [{name: %[1]s}, {name: %[2]s, referenceable: true}]. "+
			"Claims at %[1]s keep working and move to %[2]s when their owners update them; stop serving %[1]s only once no claim uses it.", cur, next))
	}
	if !dataService && (kinds[PlanChangeRefused] || kinds[ValueRefused]) {
		s = append(s, "Plan changes existing claims could make are refused now: if they must keep them, keep the old plan rules.")
	}
	if ident {
		s = append(s, "A changed group, kind, plural, scope or Crossplane line makes a different API that no new version can bridge: "+
			"serve the new API beside the old one (a second DataService), move claims over, then retire the old API.")
	}
	if version {
		s = append(s, "Keep removed versions served, marked deprecated: true, until no claim uses them.")
	}
	if reference {
		s = append(s, "Ship every Composition of the API, including those composed elsewhere, with compositeTypeRef on the new referenceable version in the same release.")
	}
	if comps {
		s = append(s, "Claims select Compositions by name, which no new version changes: keep removed Compositions, "+
			"and the default, until no claim selects them.")
	}
	if export {
		s = append(s, "Export templates are not versioned: publish the changed selection or permission claims as a second template "+
			"for consumers to bind, and keep the old one until they have moved.")
	}
	if keys {
		s = append(s, "Connection secrets are not versioned: keep publishing removed keys until no app reads them.")
	}
	if paramKeys && !dataService {
		s = append(s, "Compositions are not versioned: keep passing parameters under the keys backends read until every backend reads the new ones.")
	}
	return strings.Join(s, " ")
}

// nextVersion proposes the version after v: v1 → v2, v1beta1 → v1beta2.
func nextVersion(v string) string {
	i := len(v)
	for i > 0 && v[i-1] >= '0' && v[i-1] <= '9' {
		i--
	}
	if i == len(v) {
		return v + "2"
	}
	var n int
	fmt.Sscanf(v[i:], "%d", &n) //nolint:errcheck // digits only
	return fmt.Sprintf("%s%d", v[:i], n+1)
}
