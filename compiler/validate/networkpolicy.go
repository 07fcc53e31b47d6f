package validate

import (
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkNetworkPolicy runs the API server's checks of a NetworkPolicy's spec: label
// selectors, ports, CIDRs and policy types.
func checkNetworkPolicy(np *networkingv1.NetworkPolicy) field.ErrorList {
	spec := field.NewPath("spec")
	opts := metav1validation.LabelSelectorValidationOptions{}
	errs := metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, opts, spec.Child("podSelector"))
	for i, r := range np.Spec.Ingress {
		p := spec.Child("ingress").Index(i)
		errs = append(errs, checkPolicyPorts(r.Ports, p.Child("ports"))...)
		errs = append(errs, checkPolicyPeers(r.From, p.Child("from"))...)
	}
	for i, r := range np.Spec.Egress {
		p := spec.Child("egress").Index(i)
		errs = append(errs, checkPolicyPorts(r.Ports, p.Child("ports"))...)
		errs = append(errs, checkPolicyPeers(r.To, p.Child("to"))...)
	}
	types := []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}
	if len(np.Spec.PolicyTypes) > len(types) {
		errs = append(errs, field.Invalid(spec.Child("policyTypes"), np.Spec.PolicyTypes, "may not specify more than two policyTypes"))
	}
	for i, t := range np.Spec.PolicyTypes {
		if !slices.Contains(types, t) {
			errs = append(errs, field.NotSupported(spec.Child("policyTypes").Index(i), t, []string{string(networkingv1.PolicyTypeIngress), string(networkingv1.PolicyTypeEgress)}))
		}
	}
	return errs
}

func checkPolicyPorts(ports []networkingv1.NetworkPolicyPort, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	protocols := []corev1.Protocol{corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP}
	for i, port := range ports {
		p := path.Index(i)
		if port.Protocol != nil && !slices.Contains(protocols, *port.Protocol) {
			errs = append(errs, field.NotSupported(p.Child("protocol"), *port.Protocol, []string{"TCP", "UDP", "SCTP"}))
		}
		if port.Port == nil {
			if port.EndPort != nil {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is not specified"))
			}
			continue
		}
		if port.Port.Type == 0 {
			for _, msg := range validation.IsValidPortNum(int(port.Port.IntVal)) {
				errs = append(errs, field.Invalid(p.Child("port"), port.Port.IntVal, msg))
			}
			if port.EndPort != nil && *port.EndPort < port.Port.IntVal {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "must be greater than or equal to `port`"))
			}
		} else {
			for _, msg := range validation.IsValidPortName(port.Port.StrVal) {
				errs = append(errs, field.Invalid(p.Child("port"), port.Port.StrVal, msg))
			}
			if port.EndPort != nil {
				errs = append(errs, field.Invalid(p.Child("endPort"), *port.EndPort, "may not be specified when `port` is non-numeric"))
			}
		}
	}
	return errs
}

func checkPolicyPeers(peers []networkingv1.NetworkPolicyPeer, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	opts := metav1validation.LabelSelectorValidationOptions{}
	for i, peer := range peers {
		p := path.Index(i)
		n := 0
		if peer.PodSelector != nil {
			n++
			errs = append(errs, metav1validation.ValidateLabelSelector(peer.PodSelector, opts, p.Child("podSelector"))...)
		}
		if peer.NamespaceSelector != nil {
			n++
			errs = append(errs, metav1validation.ValidateLabelSelector(peer.NamespaceSelector, opts, p.Child("namespaceSelector"))...)
		}
		if peer.IPBlock != nil {
			n++
			if peer.PodSelector != nil || peer.NamespaceSelector != nil {
				errs = append(errs, field.Forbidden(p, "may not specify both ipBlock and another peer"))
			}
			cidr, err := netip.ParsePrefix(peer.IPBlock.CIDR)
			if err != nil {
				errs = append(errs, field.Invalid(p.Child("ipBlock", "cidr"), peer.IPBlock.CIDR, "must be a valid CIDR"))
			}
			for j, ex := range peer.IPBlock.Except {
				e, err := netip.ParsePrefix(ex)
				switch {
				case err != nil:
					errs = append(errs, field.Invalid(p.Child("ipBlock", "except").Index(j), ex, "must be a valid CIDR"))
				case cidr.IsValid() && (!cidr.Contains(e.Addr()) || e.Bits() < cidr.Bits()):
					errs = append(errs, field.Invalid(p.Child("ipBlock", "except").Index(j), ex, "must be a strict subset of `cidr`"))
				}
			}
		}
		if n == 0 {
			errs = append(errs, field.Required(p, "must specify a peer"))
		}
	}
	return errs
}
