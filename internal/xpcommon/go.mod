// This module serves github.com/crossplane/crossplane-runtime/v2/apis/common/v1 to
// function-patch-and-transform v0.10.7's input/v1beta1 package, the one definition of P&T input this
// project uses. P&T v0.10.7 was built against crossplane-runtime v2.1, whose apis/common/v1 package
// crossplane-runtime v2.3 (which function-sdk-go v0.7.1 needs) no longer has: the types moved to
// github.com/crossplane/crossplane/apis/v2/core/v2. go.mod replaces the path with this directory.
// Delete it, and the replace, once P&T is built against crossplane-runtime v2.3.
module github.com/crossplane/crossplane-runtime/v2/apis/common

go 1.25

require github.com/crossplane/crossplane/apis/v2 v2.3.1
