package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/function-dataservice/function-dataservice/internal/compat"
	"github.com/function-dataservice/function-dataservice/internal/livecheck"
	"github.com/function-dataservice/function-dataservice/internal/textwrap"
)

// What check-compat --kubeconfig adds: the existing instances of each API of OLD, listed from the
// cluster, evaluated against NEW by internal/livecheck, the evaluation the composition function
// runs before it applies a change. So the verdict is the function's: a change breaks when it breaks
// an instance that exists.

// instanceLister lists every object of a resource, in every namespace.
type instanceLister func(ctx context.Context, gvr schema.GroupVersionResource) ([]map[string]any, error)

// listPage is how many objects one list call asks the API server for.
const listPage = 500

// kubeconfigLister lists with client-go from a kubeconfig file and an optional context, page by
// page, saying on progress how many it listed once there is more than one page.
func kubeconfigLister(file, kubeContext string, progress io.Writer) (instanceLister, string, error) {
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(
		&clientcmd.ClientConfigLoadingRules{ExplicitPath: file},
		&clientcmd.ConfigOverrides{CurrentContext: kubeContext})
	raw, err := cc.RawConfig()
	if err != nil {
		return nil, "", errors.Wrapf(err, "cannot read kubeconfig %s", file)
	}
	name := raw.CurrentContext
	if kubeContext != "" {
		name = kubeContext
	}
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, "", errors.Wrapf(err, "cannot use context %q of kubeconfig %s", name, file)
	}
	dc, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, "", errors.Wrapf(err, "cannot make a client for context %q of kubeconfig %s", name, file)
	}
	where := fmt.Sprintf("%s, context %s", file, name)
	return func(ctx context.Context, gvr schema.GroupVersionResource) ([]map[string]any, error) {
		var out []map[string]any
		opts := metav1.ListOptions{Limit: listPage}
		for {
			l, err := dc.Resource(gvr).List(ctx, opts)
			if err != nil {
				return nil, errors.Wrapf(err, "cannot list %s in %s", gvr.GroupResource(), where)
			}
			for _, u := range l.Items {
				out = append(out, u.Object)
			}
			if opts.Continue = l.GetContinue(); opts.Continue == "" {
				return out, nil
			}
			fmt.Fprintf(progress, "listed %d %s so far\n", len(out), gvr.GroupResource())
		}
	}, where, nil
}

// liveReport is what the instances of one API say of the change.
type liveReport struct {
	// API is the XRD of the old release.
	API string `json:"api"`
	// Resource is what was listed.
	Resource string `json:"resource"`
	// Removed says NEW has no API for it: Instances, all of them, would be deleted with its XRD.
	Removed   bool     `json:"removed,omitempty"`
	Instances []string `json:"instances,omitempty"`
	*livecheck.Report
}

// breaking says whether the change breaks an instance of the API that exists.
func (l liveReport) breaking() bool {
	if l.Removed {
		return len(l.Instances) > 0
	}
	return l.Report.Breaking()
}

// evaluateLive evaluates, for each API of old, the instances list finds against the API of next
// it becomes (the same XRD, or the one API renamed on each side, as compat.Compare pairs them).
func evaluateLive(ctx context.Context, list instanceLister, old, next []compat.API) ([]liveReport, error) {
	pairs := map[int]int{}
	var lo, ln []int
	for i, o := range old {
		j := slices.IndexFunc(next, func(n compat.API) bool { return n.Name() == o.Name() })
		if j < 0 {
			lo = append(lo, i)
			continue
		}
		pairs[i] = j
	}
	for j, n := range next {
		if !slices.ContainsFunc(old, func(o compat.API) bool { return o.Name() == n.Name() }) {
			ln = append(ln, j)
		}
	}
	if len(lo) == 1 && len(ln) == 1 {
		pairs[lo[0]] = ln[0]
	}
	var out []liveReport
	for i, o := range old {
		or, err := release(o)
		if err != nil {
			return nil, err
		}
		gvr := schema.GroupVersionResource{Group: or.API.Group, Version: or.API.Referenceable(), Resource: or.API.CompositePlural}
		objs, err := list(ctx, gvr)
		if err != nil {
			return nil, err
		}
		ins := make([]livecheck.Instance, len(objs))
		for k, u := range objs {
			ins[k] = livecheck.InstanceOf(or.API.Line, u)
		}
		lr := liveReport{API: o.Name(), Resource: gvr.GroupResource().String()}
		j, ok := pairs[i]
		if !ok {
			lr.Removed = true
			lr.Report = &livecheck.Report{Total: len(ins), Evaluated: len(ins)}
			for _, in := range ins {
				lr.Instances = append(lr.Instances, in.Name)
			}
			slices.Sort(lr.Instances)
			out = append(out, lr)
			continue
		}
		nr, err := release(next[j])
		if err != nil {
			return nil, err
		}
		if lr.Report, err = livecheck.Evaluate(ctx, or, nr, ins, livecheck.Options{MaxInstances: len(ins) + 1}); err != nil {
			return nil, err
		}
		out = append(out, lr)
	}
	return out, nil
}

// release is one side's API as the function reads what it observes: the resolved API read back
// from the XRD and its Compositions.
func release(a compat.API) (*livecheck.Release, error) {
	comps := make([]*unstructured.Unstructured, len(a.Compositions))
	for i, c := range a.Compositions {
		comps[i] = c.Object
	}
	r, err := livecheck.ReadRelease(a.XRD.Object, comps)
	if err != nil {
		return nil, errors.Wrap(err, a.XRD.Where)
	}
	return r, nil
}

// writeLive prints what the instances say: per API how many were evaluated, each change that
// breaks some with every instance it breaks and the fix, and each resize with the instances it
// resizes.
func writeLive(w io.Writer, where string, reports []liveReport) error {
	var b strings.Builder
	fmt.Fprintf(&b, "\nExisting instances (%s):\n", where)
	wrap := func(s string) { b.WriteString(textwrap.Wrap(s, "  ", "      ", reportWidth)) }
	for _, r := range reports {
		switch {
		case r.Removed && len(r.Instances) > 0:
			wrap(fmt.Sprintf("%s: BREAKS %d %s: the API is removed, and Crossplane deletes them with its XRD: %s",
				r.API, len(r.Instances), plural(len(r.Instances), "instance", "instances"), strings.Join(r.Instances, ", ")))
			continue
		case r.Removed:
			wrap(fmt.Sprintf("%s: removed, no instances", r.API))
			continue
		}
		fmt.Fprintf(&b, "  %s: %d %s evaluated\n", r.API, r.Evaluated, plural(r.Evaluated, "instance", "instances"))
		for _, c := range r.Changes {
			wrap(fmt.Sprintf("BREAKS %d %s: %s: %s", len(c.Instances), plural(len(c.Instances), "instance", "instances"), c.What, strings.Join(c.Instances, ", ")))
			b.WriteString(textwrap.Wrap("fix: "+c.Fix, "      ", "        ", reportWidth))
		}
		for _, v := range r.Resizes {
			wrap(fmt.Sprintf("RESIZES %d %s: %s: %s", v.Count, plural(v.Count, "instance", "instances"), v.Describe(), strings.Join(v.Instances, ", ")))
		}
		if len(r.Changes) == 0 && len(r.Resizes) == 0 && r.Evaluated > 0 {
			b.WriteString("    no change breaks or resizes any of them\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
