package manifest

import (
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// Set is one rendered overlay: the objects getsmall deploys, typed. PDB and HPA are nil
// when the overlay removes them.
type Set struct {
	Deployment     *appsv1.Deployment
	Service        *corev1.Service
	ServiceAccount *corev1.ServiceAccount
	PDB            *policyv1.PodDisruptionBudget
	HPA            *autoscalingv2.HorizontalPodAutoscaler
	NetworkPolicy  *networkingv1.NetworkPolicy
	// YAML is the rendered stream, what `kubectl apply -k` would send.
	YAML []byte
}

// Render builds the kustomization in dir (on disk) as `kubectl apply -k dir` would, and
// decodes every object strictly: an unknown or duplicated field, a kind other than the six
// getsmall deploys, or a second object of one kind is an error.
func Render(dir string) (*Set, error) {
	return RenderFS(filesys.MakeFsOnDisk(), dir)
}

// RenderFS is Render on any kustomize file system (tests use an in-memory one to build
// overlays of the overlays).
func RenderFS(fs filesys.FileSystem, dir string) (*Set, error) {
	resources, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, dir)
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	stream, err := resources.AsYaml()
	if err != nil {
		return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
	}
	set := &Set{YAML: stream}
	decoder, err := strictDecoder()
	if err != nil {
		return nil, err
	}
	for _, r := range resources.Resources() {
		doc, err := r.AsYAML()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		obj, _, err := decoder.Decode(doc, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
		if err := set.add(obj); err != nil {
			return nil, fmt.Errorf("%s: %w", r.CurId(), err)
		}
	}
	if set.Deployment == nil || set.Service == nil || set.ServiceAccount == nil || set.NetworkPolicy == nil {
		return nil, fmt.Errorf("kustomize build %s: want a Deployment, a Service, a ServiceAccount and a NetworkPolicy", dir)
	}
	return set, nil
}

// add files obj under its kind, refusing kinds getsmall does not deploy and duplicates.
func (s *Set) add(obj runtime.Object) error {
	dup := errors.New("a second object of this kind")
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if s.Deployment != nil {
			return dup
		}
		s.Deployment = o
	case *corev1.Service:
		if s.Service != nil {
			return dup
		}
		s.Service = o
	case *corev1.ServiceAccount:
		if s.ServiceAccount != nil {
			return dup
		}
		s.ServiceAccount = o
	case *policyv1.PodDisruptionBudget:
		if s.PDB != nil {
			return dup
		}
		s.PDB = o
	case *autoscalingv2.HorizontalPodAutoscaler:
		if s.HPA != nil {
			return dup
		}
		s.HPA = o
	case *networkingv1.NetworkPolicy:
		if s.NetworkPolicy != nil {
			return dup
		}
		s.NetworkPolicy = o
	default:
		return fmt.Errorf("unexpected kind %T", obj)
	}
	return nil
}

// strictDecoder decodes YAML into the registered API types and fails on unknown or
// duplicated fields, where the API server would drop the first silently (or warn).
func strictDecoder() (runtime.Decoder, error) {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme,
		autoscalingv2.AddToScheme, networkingv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			return nil, fmt.Errorf("api scheme: %w", err)
		}
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme,
		json.SerializerOptions{Yaml: true, Strict: true}), nil
}
