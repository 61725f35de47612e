package main

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// safetyHead and safetyCompositions make a small valid DataService, which the cases below extend
// with what they test.
const (
	safetyHead = `apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata: {name: cache}
spec:
  group: example.org
  kind: CacheInstance
`
	safetyCompositions = `  compositions:
    - name: cache
      plans: [small]
      backend: {apiVersion: example.org/v1, kind: Cache}
`
)

// composeVerbs is how the ClusterRole beside the package grants every composed kind: the verbs of
// Crossplane's own chart, never "*".
const composeVerbs = "[get list watch create update patch delete]"

// TestGenerateShouldGrantClaimAndExportNoMoreThanNeeded: what generate writes is narrow and valid as
// the cluster judges it. A privilege-bearing kind is composed only when the spec opts in by name,
// the ClusterRole lists explicit verbs, and every grant is said on stderr; permission claims are
// narrow or refused; the export publishes only the API's own resource, in a group of its own; and
// what the CRDs of the DataService and the templates refuse fails generate with the spec's field.
func TestGenerateShouldGrantClaimAndExportNoMoreThanNeeded(t *testing.T) {
	cases := map[string]struct {
		reason string
		// spec is appended to safetyHead, with safetyCompositions unless it has compositions of
		// its own; a spec that starts with apiVersion is the whole DataService.
		spec string
		// errs are what the error must say, each a field path with its message, nothing written;
		// none for a spec that generates.
		errs []string
		// stderr is what a spec that generates must say on stderr.
		stderr []string
		// rules are the ClusterRole's rules, as resource.group: verbs.
		rules map[string]string
	}{
		"GrantsAreExplicitAndSaid": {
			reason: "Every composed kind is granted with the verbs composing needs, never *, and generate says so.",
			stderr: []string{`DataService "cache": note: grants: Crossplane composes 1 kind beyond the API's own and needs get, list, watch, create, update, patch, delete on each: caches.example.org`},
			rules:  map[string]string{"caches.example.org": composeVerbs},
		},
		"ComposedClusterRoleBindingRefused": {
			reason: "A ClusterRoleBinding composed with Crossplane's service account would let the spec grant anyone anything.",
			spec:   "  allowPrivilegeEscalation: []\n" + resources("{name: admin, apiVersion: rbac.authorization.k8s.io/v1, kind: ClusterRoleBinding}"),
			errs:   []string{`spec.compositions[0].resources[0].kind: Forbidden: ClusterRoleBinding (clusterrolebindings.rbac.authorization.k8s.io) bears privilege: a ClusterRoleBinding gives any subject a cluster role's permissions, and Crossplane would compose it with its own service account: compose something else, or opt in with spec.allowPrivilegeEscalation: [clusterrolebindings.rbac.authorization.k8s.io]`},
		},
		"ComposedWebhookServiceAccountAndSecretRefused": {
			reason: "Webhook configurations, ServiceAccounts and Secrets (which carry tokens) bear privilege too.",
			spec: resources("{name: hook, apiVersion: admissionregistration.k8s.io/v1, kind: MutatingWebhookConfiguration}",
				"{name: sa, apiVersion: /v1, kind: ServiceAccount}", "{name: token, apiVersion: /v1, kind: Secret}"),
			errs: []string{
				`spec.compositions[0].resources[0].kind: Forbidden: MutatingWebhookConfiguration (mutatingwebhookconfigurations.admissionregistration.k8s.io) bears privilege`,
				`spec.compositions[0].resources[1].kind: Forbidden: ServiceAccount (serviceaccounts) bears privilege`,
				`spec.compositions[0].resources[2].kind: Forbidden: Secret (secrets) bears privilege`,
			},
		},
		"OptedInPrivilegeIsGrantedExplicitlyAndSaid": {
			// A RoleBinding is namespaced: an API for Crossplane v1 could compose it only inside an Object.
			reason: "An opt-in by name composes the kind; the grant has explicit verbs and is reported as privilege-bearing.",
			spec:   "  crossplaneVersion: v2\n  allowPrivilegeEscalation: [rolebindings.rbac.authorization.k8s.io]\n" + resources("{name: reader, apiVersion: rbac.authorization.k8s.io/v1, kind: RoleBinding}"),
			stderr: []string{`note: grants: Crossplane composes 2 kinds beyond the API's own and needs get, list, watch, create, update, patch, delete on each: caches.example.org, rolebindings.rbac.authorization.k8s.io (privilege-bearing, allowed by spec.allowPrivilegeEscalation)`},
			rules:  map[string]string{"caches.example.org": composeVerbs, "rolebindings.rbac.authorization.k8s.io": composeVerbs},
		},
		"ObjectManifestIsJudgedAndItsKindFixed": {
			reason: "A provider-kubernetes Object creates its manifest with the provider's rights: the manifest's kind is judged, and no claim may choose it.",
			spec: resources(`{name: token, apiVersion: kubernetes.crossplane.io/v1alpha2, kind: Object,
          base: {spec: {forProvider: {manifest: {apiVersion: v1, kind: Secret}}}},
          fields: [{from: spec.plan, to: "spec.forProvider.manifest.kind"}]}`),
			errs: []string{
				`spec.compositions[0].resources[0].base.spec.forProvider.manifest.kind: Forbidden: Secret (secrets) bears privilege: Secrets hold credentials, and one of type kubernetes.io/service-account-token is given a token of the ServiceAccount it names, and provider-kubernetes would create it with its service account`,
				`spec.compositions[0].resources[0].fields[0].to: Forbidden: spec.forProvider.manifest.kind is fixed by the spec: a claim may not choose what kind is composed`,
			},
		},
		"ClaimOwnerTypoRefusedAsKlutchBindDoes": {
			reason: "klutch-bind's CRD allows the owners Provider and Consumer only.",
			spec:   export(`{group: "", resource: secrets, version: v1, selector: {owner: Provder}}`),
			errs:   []string{`spec.export.permissionClaims[0].selector.owner: Unsupported value: "Provder": supported values: "Provider", "Consumer"`},
		},
		"DeletePolicyCaseRefusedAsTheClusterDoes": {
			reason: "The DataService's schema (and Crossplane's XRD) allow Background and Foreground only.",
			spec:   "  deletePolicy: foreground\n",
			errs:   []string{`spec.deletePolicy: Unsupported value: "foreground": supported values: "Background", "Foreground"`},
		},
		"ClaimResourceOutsideKlutchBindsPattern": {
			reason: "klutch-bind's CRD refuses a resource that is not a lower-case name.",
			spec:   export(`{group: "", resource: Secrets, version: v1, selector: {owner: Provider}}`),
			errs:   []string{`spec.export.permissionClaims[0].resource: Invalid value: "Secrets": spec.export.permissionClaims[0].resource in body should match '^[a-z][-a-z0-9]*[a-z0-9]$'`},
		},
		"KubeBindClaimRefusedByKubeBindsCRD": {
			reason: "kube-bind's own CRD, not only our mirror of its types, judges its template; the error names the spec's field.",
			spec:   "  export:\n    kubeBind:\n      permissionClaims: [{group: Example_Org, resource: widgets}]\n",
			errs:   []string{`spec.export.kubeBind.permissionClaims[0].group: Invalid value: "Example_Org": spec.permissionClaims[0].group in body should match`, `(refused by the CRD of the APIServiceExportTemplate "cacheinstances.example.org" (kube-bind.io/v1alpha2) generated from it)`},
		},
		"ClaimOnEverySecretRefused": {
			reason: "An empty selector claims every Secret of every bound namespace.",
			spec:   export(`{group: "", resource: secrets, version: v1, selector: {}}`, `{group: "", resource: configmaps, version: v1, selector: {names: ["*"]}}`),
			errs: []string{
				`spec.export.permissionClaims[0].selector: Forbidden: the claim selects every object of secrets in the bound namespaces, which the binding syncs between the app cluster and the control plane: narrow it with owner, names, namespaces or labelSelectors, or opt in with spec.export.allowClaimsOnAllObjects: [secrets]`,
				`spec.export.permissionClaims[1].selector: Forbidden: the claim selects every object of configmaps`,
			},
		},
		"KubeBindClaimOnEverySecretRefused": {
			reason: "kube-bind's claims are held to the same rule.",
			spec:   "  export:\n    kubeBind:\n      permissionClaims: [{group: \"\", resource: secrets}]\n",
			errs:   []string{`spec.export.kubeBind.permissionClaims[0].selector: Forbidden: the claim selects every object of secrets in the bound namespaces, which the binding syncs between the app cluster and the control plane: narrow it with namedResources, labelSelector or references`},
		},
		"ClaimOnEverySecretOptedIn": {
			reason: "The opt-in names the risk and lets the claim through.",
			spec:   export(`{group: "", resource: secrets, version: v1}`) + "    allowClaimsOnAllObjects: [secrets]\n",
			stderr: []string{"note: grants:"},
		},
		"WildcardClusterRBACAndDuplicateClaimsRefused": {
			reason: "A wildcard claims everything; a claim on a cluster-scoped RBAC kind lets one cluster grant itself the other; duplicates say nothing new.",
			spec: export(`{group: "*", resource: "*", version: "*"}`, `{group: rbac.authorization.k8s.io, resource: clusterrolebindings, version: v1}`,
				`{group: "", resource: configmaps, version: v1, selector: {owner: Provider}}`, `{group: "", resource: configmaps, version: v1, selector: {namespaces: [apps]}}`),
			errs: []string{
				`spec.export.permissionClaims[0].group: Invalid value: "*": wildcards are refused`,
				`spec.export.permissionClaims[0].resource: Invalid value: "*": wildcards are refused`,
				`spec.export.permissionClaims[0].version: Invalid value: "*": wildcards are refused`,
				`spec.export.permissionClaims[1].resource: Forbidden: clusterrolebindings.rbac.authorization.k8s.io acts on a whole cluster`,
				`spec.export.permissionClaims[3].resource: Duplicate value: "configmaps"`,
			},
		},
		"AutoAdoptReported": {
			reason: "autoAdopt makes the control plane the owner of what app developers create: said, not refused.",
			spec:   export(`{group: "", resource: configmaps, version: v1, selector: {owner: Consumer}, autoAdopt: true}`),
			stderr: []string{`note: spec.export.permissionClaims[0].autoAdopt: every configmaps an app developer creates that the claim selects is adopted`},
		},
		"ExportOfAnotherResourceRefused": {
			reason: "A template selecting apiextensions.crossplane.io's compositions (or any resource but the API's own) publishes what the DataService does not own.",
			spec:   "  export: {resource: compositions}\n",
			errs:   []string{`spec.export.resource: Unsupported value: "compositions": supported values: "cacheinstances", "xcacheinstances"`},
		},
		"CrossplanesGroupRefused": {
			reason: "An XRD named providers.pkg.crossplane.io would take Crossplane's own API.",
			spec: `apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata: {name: providers}
spec:
  crossplaneVersion: v2
  group: pkg.crossplane.io
  kind: Provider
  compositions: [{name: p, backend: {apiVersion: example.org/v1, kind: Cache}}]
`,
			errs: []string{`spec.group: Forbidden: pkg.crossplane.io is reserved for Crossplane (*.crossplane.io)`},
		},
		"KlutchBindsGroupRefused": {
			reason: "An XRD named after klutch-bind's own CRD would take it.",
			spec: `apiVersion: dataservice.klutch.io/v1alpha1
kind: DataService
metadata: {name: templates}
spec:
  crossplaneVersion: v2
  group: example-backend.klutch.anynines.com
  kind: APIServiceExportTemplate
  compositions: [{name: t, backend: {apiVersion: example.org/v1, kind: Cache}}]
`,
			errs: []string{`spec.group: Forbidden: example-backend.klutch.anynines.com is reserved for klutch-bind (*.klutch.anynines.com)`},
		},
		"KubeBindsGroupRefused": {
			reason: "kube-bind's groups are its own.",
			spec:   strings.Replace(safetyHead, "group: example.org", "group: kube-bind.io", 1) + safetyCompositions,
			errs:   []string{`spec.group: Forbidden: kube-bind.io is reserved for kube-bind (*.kube-bind.io)`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			spec := safetyHead + tc.spec
			if !strings.Contains(tc.spec, "compositions:") {
				spec += safetyCompositions
			}
			if strings.HasPrefix(tc.spec, "apiVersion:") {
				spec = tc.spec
			}
			file := filepath.Join(dir, "cache.yaml")
			writeTestFile(t, file, spec)
			out := filepath.Join(dir, "out", "package")
			var stderr bytes.Buffer
			err := (&generateCmd{Files: []string{file}, Output: out, Name: "dataservices"}).Run(context.Background(), streams{Out: &bytes.Buffer{}, Err: &stderr})
			if len(tc.errs) > 0 {
				if err == nil {
					t.Fatalf("%s\nwant an error, got none; stderr:\n%s", tc.reason, stderr.String())
				}
				for _, want := range tc.errs {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s\nerror does not say %q:\n%v", tc.reason, want, err)
					}
				}
				if _, serr := os.Stat(filepath.Join(dir, "out")); serr == nil {
					t.Errorf("%s\nan invalid spec wrote %v", tc.reason, listTree(t, filepath.Join(dir, "out")))
				}
				return
			}
			if err != nil {
				t.Fatalf("%s\n%v", tc.reason, err)
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("%s\nstderr does not say %q:\n%s", tc.reason, want, stderr.String())
				}
			}
			if tc.rules != nil {
				if got := rbacRules(t, filepath.Join(dir, "out", "crossplane-rbac.yaml")); !maps.Equal(got, tc.rules) {
					t.Errorf("%s\nClusterRole rules: want %v, got %v", tc.reason, tc.rules, got)
				}
			}
		})
	}
}

// TestGenerateExamplesGrantExplicitVerbs: the ClusterRole of every bundled example lists explicit
// verbs, never "*".
func TestGenerateExamplesGrantExplicitVerbs(t *testing.T) {
	for _, d := range []string{"klutch", "klutch-v2", "a9s", filepath.Join("internal", "v1"), filepath.Join("internal", "v2")} {
		t.Run(d, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "package")
			mustGenerate(t, &generateCmd{Files: []string{filepath.Join("..", "..", "examples", d)}, Output: out})
			rules := rbacRules(t, filepath.Join(filepath.Dir(out), "crossplane-rbac.yaml"))
			if len(rules) == 0 {
				t.Fatal("no ClusterRole rules")
			}
			for r, verbs := range rules {
				if verbs != composeVerbs {
					t.Errorf("%s: verbs %s, want %s", r, verbs, composeVerbs)
				}
			}
		})
	}
}

// resources is the YAML of the first composition's further resources.
func resources(rs ...string) string {
	return "  compositions:\n    - name: cache\n      plans: [small]\n      backend: {apiVersion: example.org/v1, kind: Cache}\n      resources:\n        - " + strings.Join(rs, "\n        - ") + "\n"
}

// export is the YAML of an export with the permission claims cs.
func export(cs ...string) string {
	return "  export:\n    permissionClaims:\n      - " + strings.Join(cs, "\n      - ") + "\n"
}

// rbacRules reads the ClusterRole generate wrote: each resource.group with its verbs.
func rbacRules(t *testing.T, path string) map[string]string {
	t.Helper()
	var cr struct {
		Rules []struct {
			APIGroups []string `json:"apiGroups"`
			Resources []string `json:"resources"`
			Verbs     []string `json:"verbs"`
		} `json:"rules"`
	}
	if err := yaml.Unmarshal([]byte(readTestFile(t, path)), &cr); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range cr.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				n := res
				if g != "" {
					n += "." + g
				}
				out[n] = "[" + strings.Join(r.Verbs, " ") + "]"
			}
		}
	}
	return out
}
