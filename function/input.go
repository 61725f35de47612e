package function

import (
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"google.golang.org/protobuf/encoding/protojson"
	"k8s.io/apimachinery/pkg/util/validation/field"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// getInput reads and validates the pipeline input (see inputv1beta1.Decode). A step without input
// uses the defaults Klutch's own data services follow and detects the control plane.
func getInput(req *fnv1.RunFunctionRequest) (*inputv1beta1.Input, error) {
	if req.GetInput() == nil {
		return &inputv1beta1.Input{}, nil
	}
	data, err := protojson.Marshal(req.GetInput())
	if err != nil {
		return nil, errors.Wrap(err, "cannot marshal the input to JSON")
	}
	return inputv1beta1.Decode(data)
}

// joinErrors formats field errors on one line, as Crossplane shows a result in one event.
func joinErrors(errs field.ErrorList) string {
	msgs := make([]string, 0, len(errs))
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "; ")
}
