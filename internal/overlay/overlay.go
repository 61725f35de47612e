// Package overlay applies a DataServiceOverlay to a DataService: the white-labelling and plan edits
// an operator makes to an existing data service API. Renames follow every reference the spec holds
// (compositions, default composition, plan-change rules, CEL string literals); what the generator
// derives from the spec (XRD names, patches, export selector) follows by construction.
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

// Apply returns the DataService the overlay makes of base. base is not changed.
func Apply(base *v1alpha1.DataService, o *v1alpha1.DataServiceOverlay) (*v1alpha1.DataService, error) {
	if o.Spec.Base != base.Name {
		return nil, errors.Errorf("overlay %q applies to DataService %q, not %q", o.Name, o.Spec.Base, base.Name)
	}
	ds := base.DeepCopy()
	if o.Name != "" && o.Name != base.Name {
		ds.Name = o.Name
		pinProviderConfigs(ds, base.Name)
	}
	s := &ds.Spec
	ov := &o.Spec
	var errs []error

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
	for i, r := range ov.Compositions {
		found := false
		for j := range s.Compositions {
			if s.Compositions[j].Name == r.From {
				s.Compositions[j].Name = r.To
				found = true
			}
		}
		if !found {
			errs = append(errs, errors.Errorf("spec.compositions[%d].from: base has no composition %q", i, r.From))
		}
		if s.DefaultComposition == r.From {
			s.DefaultComposition = r.To
		}
		literals[r.From] = r.To
	}

	if ov.Services != nil {
		errs = append(errs, edit(s, ov.Services, "services", func(c *v1alpha1.Composition) *[]string { return &c.Services }, literals)...)
	}
	if ov.Plans != nil {
		errs = append(errs, edit(s, ov.Plans, "plans", func(c *v1alpha1.Composition) *[]string { return &c.Plans }, literals)...)
		prunePlanChanges(s)
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
			errs = append(errs, errors.Wrap(err, "spec.merge"))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Errorf("overlay %q: %w", o.Name, errors.Join(errs...))
	}
	return ds, nil
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

// edit removes, renames and adds services or plans of every composition.
func edit(s *v1alpha1.DataServiceSpec, e *v1alpha1.ListEdit, what string, list func(*v1alpha1.Composition) *[]string, literals map[string]string) []error {
	var errs []error
	has := func(name string) bool {
		for i := range s.Compositions {
			if slices.Contains(*list(&s.Compositions[i]), name) {
				return true
			}
		}
		return false
	}
	for i, n := range e.Remove {
		if !has(n) {
			errs = append(errs, errors.Errorf("spec.%s.remove[%d]: base has no %s %q", what, i, strings.TrimSuffix(what, "s"), n))
		}
		for j := range s.Compositions {
			l := list(&s.Compositions[j])
			*l = slices.DeleteFunc(*l, func(x string) bool { return x == n })
		}
	}
	rename := map[string]string{}
	for i, r := range e.Rename {
		if !has(r.From) {
			errs = append(errs, errors.Errorf("spec.%s.rename[%d].from: base has no %s %q", what, i, strings.TrimSuffix(what, "s"), r.From))
		}
		rename[r.From] = r.To
	}
	for j := range s.Compositions {
		l := list(&s.Compositions[j])
		for k, n := range *l {
			to, ok := rename[n]
			if !ok && e.RenamePrefix != nil && strings.HasPrefix(n, e.RenamePrefix.From) {
				to, ok = e.RenamePrefix.To+strings.TrimPrefix(n, e.RenamePrefix.From), true
			}
			if ok {
				(*l)[k] = to
				literals[n] = to
			}
		}
	}
	for i, a := range e.Add {
		idx := 0
		if a.Composition != "" {
			idx = slices.IndexFunc(s.Compositions, func(c v1alpha1.Composition) bool { return c.Name == a.Composition })
		}
		if idx < 0 || idx >= len(s.Compositions) {
			errs = append(errs, errors.Errorf("spec.%s.add[%d].composition: no composition %q", what, i, a.Composition))
			continue
		}
		l := list(&s.Compositions[idx])
		for _, n := range a.Names {
			if !slices.Contains(*l, n) {
				*l = append(*l, n)
			}
		}
	}
	return errs
}

// prunePlanChanges drops what plan-change rules say about sizes and features no plan has any more,
// so that removing every nano plan does not leave a rule about nano behind.
func prunePlanChanges(s *v1alpha1.DataServiceSpec) {
	if s.Plan == nil {
		return
	}
	var plans []string
	for _, c := range s.Compositions {
		plans = append(plans, c.Plans...)
	}
	present := func(tok string) bool {
		return slices.ContainsFunc(plans, func(p string) bool { return strings.Contains(p, tok) })
	}
	var kept []v1alpha1.PlanChange
	for _, c := range s.Plan.Changes {
		switch {
		case c.NoDownsizing != nil:
			n := c.NoDownsizing
			n.Sizes = slices.DeleteFunc(n.Sizes, func(x string) bool { return !present(x) })
			if len(n.Sizes) < 2 {
				continue
			}
			split := len(n.To) > 0
			biggest := n.Sizes[len(n.Sizes)-1]
			n.To = slices.DeleteFunc(n.To, func(x string) bool { return !present(x) || x == biggest })
			if split && len(n.To) == 0 {
				continue // an empty split would widen to every size
			}
		case c.OneWay != nil:
			if !present(c.OneWay.From) || !present(c.OneWay.To) {
				continue
			}
		case c.Keep != nil:
			if !present(c.Keep.Feature) {
				continue
			}
		}
		kept = append(kept, c)
	}
	s.Plan.Changes = kept
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
		return errors.Wrap(err, "not JSON")
	}
	merged, err := json.Marshal(mergePatch(doc, p))
	if err != nil {
		return err
	}
	out := v1alpha1.DataServiceSpec{}
	dec := json.NewDecoder(strings.NewReader(string(merged)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		return fmt.Errorf("the merged spec is not a DataService spec: %w", err)
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
