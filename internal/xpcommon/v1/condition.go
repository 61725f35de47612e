// Package v1 is the one type of crossplane-runtime v2.1's apis/common/v1 that
// function-patch-and-transform v0.10.7's input types use, as an alias of where crossplane-runtime
// v2.3 moved it (see go.mod beside it for why this package exists).
package v1

import corev2 "github.com/crossplane/crossplane/apis/v2/core/v2"

// ConditionType is the type of a condition, e.g. Ready.
type ConditionType = corev2.ConditionType
