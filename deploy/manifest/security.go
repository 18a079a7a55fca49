package manifest

import (
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"
)

// CheckPodSecurity evaluates the Deployment's pod template as the Pod Security admission
// controller would at level "restricted", latest version, and returns every violation.
func CheckPodSecurity(s *Set) error {
	evaluator, err := policy.NewEvaluator(policy.DefaultChecks())
	if err != nil {
		return fmt.Errorf("pod security evaluator: %w", err)
	}
	tmpl := s.Deployment.Spec.Template
	results := evaluator.EvaluatePod(
		psaapi.LevelVersion{Level: psaapi.LevelRestricted, Version: psaapi.LatestVersion()},
		&tmpl.ObjectMeta, &tmpl.Spec)
	if agg := policy.AggregateCheckResults(results); !agg.Allowed {
		return fmt.Errorf("pod security %q: %s", psaapi.LevelRestricted, agg.ForbiddenDetail())
	}
	return nil
}

// CheckHardening checks what "restricted" does not require but the images are built for:
// the images' numeric user and group, a read-only root file system, and no API token.
func CheckHardening(s *Set, uid, gid int64) error {
	var errs []error
	pod := s.Deployment.Spec.Template.Spec
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsUser == nil || *psc.RunAsUser != uid || psc.RunAsGroup == nil || *psc.RunAsGroup != gid {
		errs = append(errs, fmt.Errorf("pod securityContext must run as %d:%d, the images' USER", uid, gid))
	}
	for _, c := range pod.Containers {
		sc := c.SecurityContext
		if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			errs = append(errs, fmt.Errorf("container %s: readOnlyRootFilesystem must be true: the server writes no file", c.Name))
		}
		if sc != nil && sc.RunAsUser != nil && *sc.RunAsUser != uid {
			errs = append(errs, fmt.Errorf("container %s: runAsUser %d overrides the images' %d", c.Name, *sc.RunAsUser, uid))
		}
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		errs = append(errs, errors.New("pod: automountServiceAccountToken must be false: the server never calls the API"))
	}
	if sa := s.ServiceAccount; sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		errs = append(errs, errors.New("ServiceAccount: automountServiceAccountToken must be false"))
	}
	if pod.ServiceAccountName != s.ServiceAccount.Name {
		errs = append(errs, fmt.Errorf("pod uses ServiceAccount %q, the overlay defines %q", pod.ServiceAccountName, s.ServiceAccount.Name))
	}
	if pod.EnableServiceLinks == nil || *pod.EnableServiceLinks {
		errs = append(errs, errors.New("pod: enableServiceLinks must be false: service variables would land in the environment the server reads"))
	}
	return errors.Join(errs...)
}

// Container returns the Deployment's container named name, or an error.
func (s *Set) Container(name string) (*corev1.Container, error) {
	for i := range s.Deployment.Spec.Template.Spec.Containers {
		if c := &s.Deployment.Spec.Template.Spec.Containers[i]; c.Name == name {
			return c, nil
		}
	}
	return nil, fmt.Errorf("deployment %s has no container %q", s.Deployment.Name, name)
}

// RestrictedNamespace is a Namespace named name that enforces Pod Security "restricted"
// at the latest version, as getsmall's namespaces should: the tests and the dev loop apply
// it.
func RestrictedNamespace(name string) []byte {
	return []byte(fmt.Sprintf(`apiVersion: v1
kind: Namespace
metadata:
  name: %s
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/enforce-version: latest
`, name))
}
