// Package overlay applies a DataServiceOverlay to a DataService: the white-labelling and plan edits
// an operator makes to an existing data service API. Renames follow every reference the spec holds
// (compositions, default composition, plan-change rules, hidden plans, catalog entries with their
// values, CEL string literals); what the generator derives from the spec (XRD names, patches,
// export selector) follows by construction. Edits apply to what the compositions offer, however it
// is declared (listed, or the whole catalog of a composition that lists none: resolved.Offered),
// and an edit that would drop a rule or widen what a composition offers either keeps them in step,
// saying so in a note, or fails naming what it cannot keep.
//
// edit.go edits the services and plans, rules.go keeps the plan-change rules in step with them.
package overlay

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// Errors of Apply.
const (
	errOtherBase       = "overlay %q applies to DataService %q, not %q"
	errNoComposition   = "spec.compositions[%d].from: base has no composition %q"
	errOverlay         = "overlay %q"
	errMergedNotSpec   = "the merged spec is not a DataService spec"
	errMergeNotJSON    = "not JSON"
	errMerge           = "spec.merge"
	noteRebrandRenamed = "composition %s is renamed %s after the rebrand, so that the base's and the overlay's Compositions (cluster-scoped) never share a name on one control plane: rename it under spec.compositions to choose another name"
)

// Apply returns the DataService the overlay makes of base, and notes saying what it decided that
// the overlay does not say (for stderr). base is not changed.
func Apply(base *v1alpha1.DataService, o *v1alpha1.DataServiceOverlay) (*v1alpha1.DataService, []string, error) {
	if o.Spec.Base != base.Name {
		return nil, nil, errors.Errorf(errOtherBase, o.Name, o.Spec.Base, base.Name)
	}
	ds := base.DeepCopy()
	if o.Name != "" && o.Name != base.Name {
		ds.Name = o.Name
		pinProviderConfigs(ds, base.Name)
	}
	s := &ds.Spec
	ov := &o.Spec
	var errs []error
	var notes []string

	if ov.Group != "" {
		s.Group = ov.Group
	}
	if ov.Kind != "" {
		s.Kind = ov.Kind
		// Names derived from the old kind would keep the old brand: derive them anew.
		s.Plural = ""
		s.Composite = nil
	}
	if ov.Plural != "" {
		s.Plural = ov.Plural
	}
	if ov.Composite != nil {
		s.Composite = ov.Composite.DeepCopy()
	}

	literals := map[string]string{}
	renamed := map[string]bool{}
	for i, r := range ov.Compositions {
		j := slices.IndexFunc(s.Compositions, func(c v1alpha1.Composition) bool { return c.Name == r.From })
		if j < 0 {
			errs = append(errs, errors.Errorf(errNoComposition, i, r.From))
			continue
		}
		s.Compositions[j].Name = r.To
		renamed[r.To] = true
		if s.DefaultComposition == r.From {
			s.DefaultComposition = r.To
		}
		literals[r.From] = r.To
	}
	// A rebrand makes a second API beside the base's: Compositions it keeps the name of would
	// replace the base's on a control plane that serves both.
	if b := brand(base, o); b != "" {
		for j := range s.Compositions {
			c := &s.Compositions[j]
			if renamed[c.Name] || c.Backend == nil {
				continue
			}
			to := rebranded(c.Name, base.Name, b)
			notes = append(notes, fmt.Sprintf(noteRebrandRenamed, c.Name, to))
			if s.DefaultComposition == c.Name {
				s.DefaultComposition = to
			}
			literals[c.Name] = to
			c.Name = to
		}
	}

	if ov.Services != nil {
		n, e := editField(s, serviceField, ov.Services, literals)
		notes, errs = append(notes, n...), append(errs, e...)
	}
	if ov.Plans != nil {
		n, e := editField(s, planField, ov.Plans, literals)
		notes, errs = append(notes, n...), append(errs, e...)
	}

	for i := range s.Rules {
		s.Rules[i].Rule = ReplaceStringLiterals(s.Rules[i].Rule, literals)
	}
	if s.Plan != nil {
		for i := range s.Plan.Changes {
			if r := s.Plan.Changes[i].Rule; r != "" {
				s.Plan.Changes[i].Rule = ReplaceStringLiterals(r, literals)
			}
		}
	}

	if ov.Merge != nil && len(ov.Merge.Raw) > 0 {
		if err := mergeSpec(s, ov.Merge.Raw); err != nil {
			errs = append(errs, errors.Wrap(err, errMerge))
		}
	}
	if len(errs) > 0 {
		return nil, nil, errors.Wrapf(errors.Join(errs...), errOverlay, o.Name)
	}
	return ds, notes, nil
}

// brand is what a rebranding overlay's names derive from: its own name when it renames the
// DataService, else its kind, else the first label of its group; "" for an overlay that does not
// rebrand (keeps the group and kind).
func brand(base *v1alpha1.DataService, o *v1alpha1.DataServiceOverlay) string {
	ov := &o.Spec
	if (ov.Group == "" || ov.Group == base.Spec.Group) && (ov.Kind == "" || ov.Kind == base.Spec.Kind) {
		return ""
	}
	switch {
	case o.Name != "" && o.Name != base.Name:
		return o.Name
	case ov.Kind != "" && ov.Kind != base.Spec.Kind:
		return strings.ToLower(ov.Kind)
	}
	g, _, _ := strings.Cut(ov.Group, ".")
	return g
}

// rebranded is a composition's name after a rebrand: the base's name in it replaced by the brand
// (a9s-mongodb: a9s-documentdb), else the brand before it.
func rebranded(name, baseName, brand string) string {
	if baseName != "" && strings.Contains(name, baseName) {
		return strings.Replace(name, baseName, brand, 1)
	}
	return brand + "-" + name
}

// pinProviderConfigs keeps the backends on the ProviderConfig they used: its default name derives
// from the DataService name, and a rebrand renames the API, not the broker behind it.
func pinProviderConfigs(ds *v1alpha1.DataService, baseName string) {
	for i := range ds.Spec.Compositions {
		b := ds.Spec.Compositions[i].Backend
		if b == nil {
			continue
		}
		switch {
		case b.ProviderConfig == nil:
			b.ProviderConfig = &v1alpha1.ProviderConfig{Name: strings.Replace(inputv1beta1.DefaultProviderConfigNameFormat, "%s", baseName, 1)}
		case b.ProviderConfig.Name == "" && b.ProviderConfig.FromField == "":
			f := b.ProviderConfig.Format
			if f == "" {
				f = inputv1beta1.DefaultProviderConfigNameFormat
			}
			b.ProviderConfig = &v1alpha1.ProviderConfig{Name: strings.Replace(f, "%s", baseName, 1)}
		}
	}
}

// mergeSpec applies a JSON merge patch to the spec and decodes the result strictly.
func mergeSpec(s *v1alpha1.DataServiceSpec, patch []byte) error {
	cur, err := json.Marshal(s)
	if err != nil {
		return err
	}
	var doc, p any
	if err := json.Unmarshal(cur, &doc); err != nil {
		return err
	}
	if err := json.Unmarshal(patch, &p); err != nil {
		return errors.Wrap(err, errMergeNotJSON)
	}
	merged, err := json.Marshal(mergePatch(doc, p))
	if err != nil {
		return err
	}
	out := v1alpha1.DataServiceSpec{}
	dec := json.NewDecoder(strings.NewReader(string(merged)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return errors.Wrap(err, errMergedNotSpec)
	}
	*s = out
	return nil
}

// mergePatch implements RFC 7386: objects merge key by key, null deletes, anything else replaces.
func mergePatch(doc, patch any) any {
	pm, ok := patch.(map[string]any)
	if !ok {
		return patch
	}
	dm, ok := doc.(map[string]any)
	if !ok {
		dm = map[string]any{}
	}
	for k, v := range pm {
		if v == nil {
			delete(dm, k)
			continue
		}
		dm[k] = mergePatch(dm[k], v)
	}
	return dm
}
