package deploy_test

import (
	"os"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// grant is one verb on one resource of one API group: RBAC rules flattened, so that rule
// sets compare however their rules are grouped.
type grant struct {
	Group, Resource, Verb string
}

func (g grant) String() string {
	return g.Group + "/" + g.Resource + ":" + g.Verb
}

func grants(t *testing.T, rules []rbacv1.PolicyRule) []grant {
	t.Helper()
	var out []grant
	for _, rule := range rules {
		if len(rule.ResourceNames) > 0 || len(rule.NonResourceURLs) > 0 {
			t.Errorf("rule %+v names resources or URLs, which this comparison does not cover", rule)
		}
		for _, group := range rule.APIGroups {
			for _, resource := range rule.Resources {
				for _, verb := range rule.Verbs {
					out = append(out, grant{group, resource, verb})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b grant) int { return strings.Compare(a.String(), b.String()) })
	return slices.Compact(out)
}

// markerGrants are what the controller's RBAC markers ask for, from the ClusterRole that
// controller-gen writes into config/rbac/role.yaml.
func markerGrants(t *testing.T) []grant {
	t.Helper()
	data, err := os.ReadFile(repoPath("config", "rbac", "role.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(data, &role); err != nil {
		t.Fatalf("parse config/rbac/role.yaml: %v", err)
	}
	if len(role.Rules) == 0 {
		t.Fatal("config/rbac/role.yaml grants nothing")
	}
	return grants(t, role.Rules)
}

// leaderElectionGrants are what controller-runtime's leader election does in the manager's
// namespace: get, create and update its Lease, and record Events about it.
var leaderElectionGrants = []grant{
	{"", "events", "create"},
	{"", "events", "patch"},
	{"coordination.k8s.io", "leases", "create"},
	{"coordination.k8s.io", "leases", "get"},
	{"coordination.k8s.io", "leases", "update"},
}

func TestRenderedRBACGrantsExactlyWhatTheControllerAsksFor(t *testing.T) {
	want := markerGrants(t)
	for _, r := range renderings() {
		t.Run(r.name, func(t *testing.T) {
			objects := r.render(t)
			serviceAccount := podSpec(t, objects).ServiceAccountName

			clusterRoles := ofKind(objects, "ClusterRole")
			if len(clusterRoles) != 1 {
				t.Fatalf("want one ClusterRole, got %v", describe(clusterRoles))
			}
			var clusterRole rbacv1.ClusterRole
			into(t, clusterRoles[0], &clusterRole)
			if got := grants(t, clusterRole.Rules); !slices.Equal(got, want) {
				t.Errorf("ClusterRole %s grants\n  %v\nbut the markers ask for\n  %v",
					clusterRole.Name, got, want)
			}
			requireBound(t, objects, "ClusterRoleBinding", "ClusterRole", clusterRole.Name,
				serviceAccount)

			roles := ofKind(objects, "Role")
			if len(roles) != 1 {
				t.Fatalf("want one Role, got %v", describe(roles))
			}
			var role rbacv1.Role
			into(t, roles[0], &role)
			if got := grants(t, role.Rules); !slices.Equal(got, leaderElectionGrants) {
				t.Errorf("Role %s grants\n  %v\nbut leader election needs\n  %v",
					role.Name, got, leaderElectionGrants)
			}
			if role.Namespace != releaseNamespace {
				t.Errorf("Role %s is in namespace %q, not the manager's", role.Name, role.Namespace)
			}
			requireBound(t, objects, "RoleBinding", "Role", role.Name, serviceAccount)
		})
	}
}

// requireBound checks that exactly one binding of bindingKind refers to the role, and that
// it binds the role to the manager's ServiceAccount alone.
func requireBound(t *testing.T, objects []*unstructured.Unstructured, bindingKind, roleKind,
	roleName, serviceAccount string) {
	t.Helper()
	var found int
	for _, obj := range ofKind(objects, bindingKind) {
		var binding rbacv1.RoleBinding
		into(t, obj, &binding)
		if binding.RoleRef.Kind != roleKind || binding.RoleRef.Name != roleName {
			continue
		}
		found++
		want := []rbacv1.Subject{{Kind: "ServiceAccount", Name: serviceAccount,
			Namespace: releaseNamespace}}
		if !slices.Equal(binding.Subjects, want) {
			t.Errorf("%s %s binds %+v, want %+v", bindingKind, binding.Name, binding.Subjects, want)
		}
	}
	if found != 1 {
		t.Errorf("%d %ss refer to %s %s, want 1", found, bindingKind, roleKind, roleName)
	}
	find(t, objects, "ServiceAccount", serviceAccount)
}
