package manifest

import (
	"errors"
	"fmt"
	"maps"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Selector is the one label every selector uses. It never changes: a Deployment's
// selector is immutable, and a Service that selects more would miss pods.
var Selector = map[string]string{"app.kubernetes.io/name": "getsmall"}

// RecommendedLabels must be on every object and on the pods.
var RecommendedLabels = []string{
	"app.kubernetes.io/name", "app.kubernetes.io/instance",
	"app.kubernetes.io/component", "app.kubernetes.io/part-of",
}

// CheckObjects checks how the objects fit together: one minimal selector everywhere,
// the recommended labels, a rollout that never drops below the wanted count, the
// autoscaler and disruption budget against the replica count, resources and an image.
func CheckObjects(s *Set) error {
	return errors.Join(checkSelectors(s), checkLabels(s), checkRollout(s), checkResources(s), checkImage(s))
}

func checkSelectors(s *Set) error {
	var errs []error
	d := s.Deployment
	if sel := d.Spec.Selector; sel == nil || len(sel.MatchExpressions) > 0 || !maps.Equal(sel.MatchLabels, Selector) {
		errs = append(errs, fmt.Errorf("deployment selector %v, want exactly %v", d.Spec.Selector, Selector))
	}
	for k, v := range Selector {
		if d.Spec.Template.Labels[k] != v {
			errs = append(errs, fmt.Errorf("pod template lacks the selector label %s=%s", k, v))
		}
	}
	if !maps.Equal(s.Service.Spec.Selector, Selector) {
		errs = append(errs, fmt.Errorf("service selector %v, want exactly %v", s.Service.Spec.Selector, Selector))
	}
	if !selects(&s.NetworkPolicy.Spec.PodSelector) {
		errs = append(errs, fmt.Errorf("network policy selects %v, want exactly %v", s.NetworkPolicy.Spec.PodSelector, Selector))
	}
	if s.PDB != nil && !selects(s.PDB.Spec.Selector) {
		errs = append(errs, fmt.Errorf("disruption budget selects %v, want exactly %v", s.PDB.Spec.Selector, Selector))
	}
	for _, c := range d.Spec.Template.Spec.TopologySpreadConstraints {
		if !selects(c.LabelSelector) {
			errs = append(errs, fmt.Errorf("topology spread on %s selects %v, want %v", c.TopologyKey, c.LabelSelector, Selector))
		}
	}
	return errors.Join(errs...)
}

func selects(sel *metav1.LabelSelector) bool {
	return sel != nil && len(sel.MatchExpressions) == 0 && maps.Equal(sel.MatchLabels, Selector)
}

func checkLabels(s *Set) error {
	var errs []error
	objects := []metav1.Object{s.Deployment, s.Service, s.ServiceAccount, s.NetworkPolicy, &s.Deployment.Spec.Template}
	if s.PDB != nil {
		objects = append(objects, s.PDB)
	}
	if s.HPA != nil {
		objects = append(objects, s.HPA)
	}
	for _, o := range objects {
		for _, l := range RecommendedLabels {
			if o.GetLabels()[l] == "" {
				errs = append(errs, fmt.Errorf("%T %q: no label %s", o, o.GetName(), l))
			}
		}
	}
	return errors.Join(errs...)
}

func checkRollout(s *Set) error {
	var errs []error
	d := s.Deployment
	ru := d.Spec.Strategy.RollingUpdate
	if d.Spec.Strategy.Type != "RollingUpdate" || ru == nil || ru.MaxUnavailable == nil || ru.MaxSurge == nil ||
		*ru.MaxUnavailable != intstr.FromInt32(0) || ru.MaxSurge.IntValue() < 1 && ru.MaxSurge.Type == intstr.Int {
		errs = append(errs, errors.New("deployment strategy: want RollingUpdate with maxUnavailable 0 and maxSurge of at least 1"))
	}
	minReplicas := int32(1)
	switch {
	case s.HPA != nil && d.Spec.Replicas != nil:
		errs = append(errs, errors.New("deployment sets replicas and has an autoscaler: every apply would reset the autoscaler's count"))
	case s.HPA == nil && d.Spec.Replicas == nil:
		errs = append(errs, errors.New("deployment sets no replicas and has no autoscaler"))
	case s.HPA != nil:
		h := s.HPA.Spec
		if h.ScaleTargetRef.Kind != "Deployment" || h.ScaleTargetRef.Name != d.Name || h.ScaleTargetRef.APIVersion != "apps/v1" {
			errs = append(errs, fmt.Errorf("autoscaler targets %v, want apps/v1 Deployment %s", h.ScaleTargetRef, d.Name))
		}
		if h.MinReplicas != nil {
			minReplicas = *h.MinReplicas
		}
		if minReplicas > h.MaxReplicas {
			errs = append(errs, fmt.Errorf("autoscaler minReplicas %d > maxReplicas %d", minReplicas, h.MaxReplicas))
		}
	default:
		minReplicas = *d.Spec.Replicas
	}
	if s.PDB != nil {
		p := s.PDB.Spec
		switch {
		case minReplicas < 2:
			errs = append(errs, fmt.Errorf("a disruption budget with %d replica protects nothing and may block drains", minReplicas))
		case p.MaxUnavailable == nil || p.MaxUnavailable.Type != intstr.Int || p.MaxUnavailable.IntVal < 1 || p.MaxUnavailable.IntVal >= minReplicas:
			errs = append(errs, fmt.Errorf("disruption budget: want maxUnavailable between 1 and %d (replicas - 1)", minReplicas-1))
		}
	}
	return errors.Join(errs...)
}

func checkResources(s *Set) error {
	var errs []error
	for _, c := range s.Deployment.Spec.Template.Spec.Containers {
		for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
			if _, ok := c.Resources.Requests[r]; !ok {
				errs = append(errs, fmt.Errorf("container %s: no %s request", c.Name, r))
			}
		}
		if _, ok := c.Resources.Limits[corev1.ResourceMemory]; !ok {
			errs = append(errs, fmt.Errorf("container %s: no memory limit", c.Name))
		}
	}
	return errors.Join(errs...)
}

// checkImage refuses the base's bare placeholder: the overlay's images: entry must have
// named a tag or a digest.
func checkImage(s *Set) error {
	for _, c := range s.Deployment.Spec.Template.Spec.Containers {
		last := c.Image[strings.LastIndex(c.Image, "/")+1:]
		if !strings.Contains(last, ":") && !strings.Contains(c.Image, "@sha256:") {
			return fmt.Errorf("container %s: image %q has no tag or digest: set one in the overlay's images list", c.Name, c.Image)
		}
	}
	return nil
}

// Check runs every check on s: Pod Security "restricted", hardening for the images' user
// uid:gid, the objects' fit, the server's settings, and its memory for the plain or the
// UPX image (upx).
func Check(s *Set, uid, gid int64, upx bool) error {
	c, err := s.Container(ContainerName)
	if err != nil {
		return err
	}
	return errors.Join(CheckPodSecurity(s), CheckHardening(s, uid, gid), CheckObjects(s), CheckServer(s), CheckMemory(c, upx))
}
