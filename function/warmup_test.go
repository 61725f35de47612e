package function

import (
	"context"
	"testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
)

// TestWarmUp: the built-in DataService composes without a fatal result, so a server never refuses
// to start because of its warm-up.
func TestWarmUp(t *testing.T) {
	if err := New(logging.NewNopLogger()).WarmUp(context.Background()); err != nil {
		t.Fatalf("WarmUp(): %v", err)
	}
}
