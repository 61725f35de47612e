package importer

import (
	"slices"
	"strings"

	ptv1beta1 "github.com/crossplane-contrib/function-patch-and-transform/input/v1beta1"
	"github.com/crossplane/crossplane-runtime/v2/pkg/fieldpath"

	"github.com/function-dataservice/function-dataservice/apis/v1alpha1"
	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
	"github.com/function-dataservice/function-dataservice/internal/generator"
	"github.com/function-dataservice/function-dataservice/internal/xpline"
)

// The patches of a backend read as what a DataService declares: claim labels, the ProviderConfig,
// connection secrets, status, and where and under which keys the parameters go. Each pattern
// needs the others' cases to tell them apart, so they are read in one place.

// importPatches sorts the patches of a backend into what a DataService declares.
func (im *importer) importPatches(comp string, b *v1alpha1.Backend, patches []ptPatch) {
	claimLabels := 0
	var params []ptPatch
	for _, p := range patches {
		format, simple := p.format()
		if p.Policy != nil || p.Combine != nil {
			im.note("Composition %s: dropped patch %s → %s: policies and combines are not expressible", comp, p.from(), p.to())
			continue
		}
		if !simple {
			// P&T's transforms are kept as they are.
			switch {
			case p.Type == "" || p.Type == ptv1beta1.PatchTypeFromCompositeFieldPath:
				if strings.HasPrefix(p.from(), "spec.parameters.") {
					params = append(params, p)
				} else {
					b.Fields = append(b.Fields, p.mapping())
				}
			default:
				im.note("Composition %s: dropped %s patch %s → %s: a DataService transforms only what it maps from the composite", comp, p.Type, p.from(), p.to())
			}
			continue
		}
		switch p.Type {
		case "ToCompositeFieldPath":
			sm := v1alpha1.StatusMapping{From: p.from()}
			if p.to() != defaultStatusTo(p.from()) {
				sm.To = p.to()
			}
			b.Status = append(b.Status, sm)
			continue
		case "", "FromCompositeFieldPath":
		default:
			im.note("Composition %s: dropped %s patch %s → %s", comp, p.Type, p.from(), p.to())
			continue
		}
		switch {
		case im.line.Claims && format == "" && p.from() == p.to() && (p.from() == xpline.LabelClaimName || p.from() == xpline.LabelClaimNamespace):
			claimLabels++
		case p.to() == "spec.providerConfigRef.name":
			b.ProviderConfig = &v1alpha1.ProviderConfig{FromField: p.from(), Format: format}
			if format == inputv1beta1.DefaultProviderConfigNameFormat {
				b.ProviderConfig.Format = ""
			}
		case im.line.Claims && p.from() == xpline.LabelClaimNamespace && p.to() == "spec.writeConnectionSecretToRef.namespace" && format == "":
			// Paired with the name below.
		case p.to() == "spec.writeConnectionSecretToRef.name" && format != "" &&
			(im.line.Claims && p.from() == xpline.LabelClaimName || !im.line.Claims && p.from() == "metadata.name"):
			b.ConnectionSecret = &v1alpha1.ConnectionSecret{NameFormat: format}
		case strings.HasPrefix(p.from(), "spec.parameters.") && format == "":
			params = append(params, p)
		default:
			b.Fields = append(b.Fields, v1alpha1.Mapping{From: p.from(), To: p.to(), Format: format})
		}
	}
	if im.line.Claims && claimLabels < 2 {
		b.ClaimLabels = ptrTo(false)
		if claimLabels == 1 {
			im.note("Composition %s: copies only one of the claim-name and claim-namespace labels; a DataService copies both or neither", comp)
		}
	}
	im.importParameterPatches(comp, b, params)
}

func defaultStatusTo(from string) string {
	segs, err := fieldpath.Parse(from)
	if err != nil || len(segs) == 0 {
		return ""
	}
	return "status.managed." + fieldpath.Segments{fieldpath.Field(segs[len(segs)-1].Field)}.String()
}

// importParameterPatches finds where parameters go and the key style that names them.
func (im *importer) importParameterPatches(comp string, b *v1alpha1.Backend, params []ptPatch) {
	// Transformed parameters, or keys another Composition names otherwise, are this backend's own
	// mappings: it takes no parameter by the shared layout.
	own := func() {
		b.NoParameters, b.ParametersTo = true, ""
		for _, p := range params {
			b.Fields = append(b.Fields, p.mapping())
		}
	}
	for _, p := range params {
		if len(p.Transforms) > 0 {
			own()
			return
		}
	}
	type keyed struct{ param, key string }
	var keys []keyed
	var to string
	for _, p := range params {
		from, err1 := fieldpath.Parse(p.from())
		dst, err2 := fieldpath.Parse(p.to())
		rest := len(from) - 2 // below spec.parameters
		if err1 != nil || err2 != nil || rest < 1 || len(dst) <= rest {
			b.Fields = append(b.Fields, v1alpha1.Mapping{From: p.from(), To: p.to()})
			continue
		}
		prefix := dst[:len(dst)-rest].String()
		if !slices.Equal(segNames(from[3:]), segNames(dst[len(dst)-rest+1:])) || (to != "" && prefix != to) {
			im.note("Composition %s: patch %s → %s does not follow the parameters' layout; kept as a field mapping", comp, p.from(), p.to())
			b.Fields = append(b.Fields, v1alpha1.Mapping{From: p.from(), To: p.to()})
			continue
		}
		to = prefix
		keys = append(keys, keyed{param: from[2].Field, key: dst[len(dst)-rest].Field})
	}
	if to != "" && to != inputv1beta1.DefaultParametersTo {
		b.ParametersTo = to
	}
	if len(keys) == 0 || im.ds.Spec.Parameters == nil {
		return
	}
	ps := im.ds.Spec.Parameters
	styles := []string{v1alpha1.KeyStyleSnakeCase, v1alpha1.KeyStyleKebabCase, v1alpha1.KeyStyleAsIs}
	best, bestN := v1alpha1.KeyStyleSnakeCase, -1
	for _, st := range styles {
		n := 0
		for _, k := range keys {
			if generator.BackendKey(st, k.param) == k.key {
				n++
			}
		}
		if n > bestN {
			best, bestN = st, n
		}
	}
	if im.paramsLaid {
		style := ps.KeyStyle
		for _, k := range keys {
			want := generator.BackendKey(style, k.param)
			for _, pk := range ps.Keys {
				if pk.Parameter == k.param {
					want = pk.Key
				}
			}
			if want != k.key {
				own()
				return
			}
		}
		return
	}
	im.paramsLaid = true
	if best != v1alpha1.KeyStyleSnakeCase {
		ps.KeyStyle = best
	}
	for _, k := range keys {
		if generator.BackendKey(best, k.param) != k.key && !slices.ContainsFunc(ps.Keys, func(pk v1alpha1.ParameterKey) bool { return pk.Parameter == k.param }) {
			ps.Keys = append(ps.Keys, v1alpha1.ParameterKey{Parameter: k.param, Key: k.key})
		}
	}
}

func segNames(s fieldpath.Segments) []string {
	out := make([]string, len(s))
	for i, seg := range s {
		out[i] = fieldpath.Segments{seg}.String()
	}
	return out
}
