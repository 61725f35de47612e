package scaffold

import (
	"fmt"
	"strings"
)

// BrokerOptions say what Broker scaffolds.
type BrokerOptions struct {
	// Name of the data service, e.g. mongodb: the DataService, the service broker's services and
	// plans are named after it.
	Name string
	// Line is the Crossplane line of the API: v1 or v2.
	Line string
	// Group is the API group app developers use.
	Group string
}

// Broker scaffolds a DataService of an a9s service broker's service, in Klutch's shape: a claim
// with a service and a plan, composed into the broker's ServiceInstance, which
// provider-anynines creates through the broker named after the data service.
func Broker(o BrokerOptions) []byte {
	kind := capitalize(o.Name) + "Instance"
	w := &writer{}
	w.comment(0, fmt.Sprintf("An a9s data service behind an OSB service broker, in Klutch's shape, scaffolded by dataservice init. Replace the services and plans by those the broker offers, add its parameters under spec.parameters (dataservice explain spec.parameters), then generate it:"))
	w.line(0, "#   dataservice generate -f %s.yaml -o _output/package", o.Name)
	w.comment(0, "For an internal data service run by an operator, scaffold from the operator's CRD instead: dataservice init --from-crd CRD.yaml.")
	w.line(0, "apiVersion: dataservice.klutch.io/v1alpha1")
	w.line(0, "kind: DataService")
	w.line(0, "metadata:")
	w.line(2, "name: %s", o.Name)
	w.line(0, "spec:")
	w.line(2, "crossplaneVersion: %s", o.Line)
	w.comment(2, "The API app developers use: rename it freely (the group is your organisation's domain).")
	w.line(2, "group: %s", o.Group)
	w.line(2, "kind: %s", kind)
	w.line(2, "printerColumns:")
	w.line(4, "- {name: PLAN, type: string, jsonPath: .spec.plan}")
	w.line(4, "- {name: STATE, type: string, jsonPath: .status.managed.state}")
	w.line(2, "service:")
	w.line(4, "description: Version of the data service; an instance keeps it.")
	w.line(2, "plan:")
	w.line(4, "description: Size of the instance. Plans may grow, never shrink.")
	w.comment(4, "Plan changes the broker supports; each becomes a CEL rule of the API (dataservice plans -f shows them).")
	w.line(4, "changes:")
	w.line(6, "- noDownsizing: {sizes: [small, big]}")
	w.line(2, "compositions:")
	w.line(4, "- name: a9s-%s", o.Name)
	w.comment(6, "The broker's service and plan names, as its catalog lists them.")
	w.line(6, "services: [a9s-%s1]", o.Name)
	w.line(6, "plans: [%s-single-small, %s-single-big]", o.Name, o.Name)
	w.line(6, "backend:")
	w.line(8, "apiVersion: dataservices.anynines.com/v1")
	w.line(8, "kind: ServiceInstance")
	w.comment(8, fmt.Sprintf("The ProviderConfig of the broker defaults to %s-service-broker.", o.Name))
	w.line(8, "base:")
	w.line(10, "spec:")
	w.line(12, "forProvider: {acceptsIncomplete: true}")
	w.line(8, "fields:")
	w.line(10, "- {from: spec.service, to: spec.forProvider.serviceName}")
	w.line(10, "- {from: spec.plan, to: spec.forProvider.planName}")
	w.line(8, "status:")
	w.line(10, "- from: status.atProvider.state")
	return []byte(strings.TrimLeft(w.b.String(), "\n"))
}
