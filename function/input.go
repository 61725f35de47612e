package function

import (
	"strings"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"google.golang.org/protobuf/encoding/protojson"
	"k8s.io/apimachinery/pkg/util/validation/field"

	fnv1 "github.com/crossplane/function-sdk-go/proto/v1"

	inputv1beta1 "github.com/function-dataservice/function-dataservice/input/v1beta1"
)

// getDefaults reads and validates the pipeline input (see inputv1beta1.Decode). A step without
// input uses the defaults Klutch's own data services follow.
func getDefaults(req *fnv1.RunFunctionRequest) (inputv1beta1.Defaults, error) {
	if req.GetInput() == nil {
		return inputv1beta1.Defaults{}, nil
	}
	data, err := protojson.Marshal(req.GetInput())
	if err != nil {
		return inputv1beta1.Defaults{}, errors.Wrap(err, "cannot marshal the input to JSON")
	}
	in, err := inputv1beta1.Decode(data)
	if err != nil {
		return inputv1beta1.Defaults{}, err
	}
	return in.Defaults, nil
}

// joinErrors formats field errors on one line, as Crossplane shows a result in one event.
func joinErrors(errs field.ErrorList) string {
	msgs := make([]string, 0, len(errs))
	for _, err := range errs {
		msgs = append(msgs, err.Error())
	}
	return strings.Join(msgs, "; ")
}
