package check

import (
	"fmt"
	"path"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// profilePlugins checks that the cloud identities a tenant's Profile plugins name are
// ones the platform's policy.profilePlugins allows that tenant: an identity is a
// privilege the tenant's own files cannot grant.
func (r *reporter) profilePlugins(p *model.Platform, t *model.Tenant) {
	if t.Plugins == nil {
		return
	}
	pol := p.Policy.ProfilePlugins
	if aws := t.Plugins.AwsIamForServiceAccount; aws != nil {
		const at = "tenant.plugins.awsIamForServiceAccount"
		r.allowedIdentity(at+".awsIamRole", "AWS IAM role", aws.AwsIamRole, t.Name, pol.AwsIamRoles, "policy.profilePlugins.awsIamRoles")
		if !aws.AnnotateOnly && !pol.AwsTrustPolicyChanges {
			r.errorf(at, "without annotateOnly: true the profile controller changes the role's trust policy in AWS IAM, which the platform does not allow (policy.profilePlugins.awsTrustPolicyChanges is false): set annotateOnly: true and have the platform trust system:serviceaccount:%s:default-editor", t.Name)
		}
	}
	if gcp := t.Plugins.WorkloadIdentity; gcp != nil {
		r.allowedIdentity("tenant.plugins.workloadIdentity.gcpServiceAccount", "Google service account", gcp.GcpServiceAccount, t.Name, pol.GcpServiceAccounts, "policy.profilePlugins.gcpServiceAccounts")
	}
}

// allowedIdentity reports an identity that matches none of the policy's patterns for
// the tenant.
func (r *reporter) allowedIdentity(at, what, identity, tenant string, patterns []string, policyPath string) {
	if len(patterns) == 0 {
		r.errorf(at, "the platform allows tenants no %s (%s is empty)", what, policyPath)
		return
	}
	for _, pat := range patterns {
		if ok, _ := path.Match(tenantPattern(pat, tenant), identity); ok {
			return
		}
	}
	r.errorf(at, "%s %s is not one the platform allows tenant %s (%s: %s)", what, identity, tenant, policyPath, strings.Join(patterns, ", "))
}

// tenantPattern is a policy pattern for one tenant: {tenant} replaced by its name.
func tenantPattern(pattern, tenant string) string {
	return strings.ReplaceAll(pattern, "{tenant}", tenant)
}

// profilePluginPolicy checks the patterns of policy.profilePlugins.
func (r *reporter) profilePluginPolicy(p *model.Platform) {
	pol := p.Policy.ProfilePlugins
	for _, f := range []struct {
		field    string
		patterns []string
	}{{"awsIamRoles", pol.AwsIamRoles}, {"gcpServiceAccounts", pol.GcpServiceAccounts}} {
		for i, pat := range f.patterns {
			if _, err := path.Match(tenantPattern(pat, "t"), ""); err != nil {
				r.errorf(fmt.Sprintf("policy.profilePlugins.%s[%d]", f.field, i), "%q is not a valid pattern: %v", pat, err)
			}
		}
	}
}
