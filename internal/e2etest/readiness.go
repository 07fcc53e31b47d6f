package e2etest

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

// The kinds whose readiness the stand-ins write.
const (
	kindDeployment  = "Deployment"
	kindStatefulSet = "StatefulSet"
	kindDaemonSet   = "DaemonSet"
	kindClaim       = "PersistentVolumeClaim"
	kindJob         = "Job"
)

// watchReadiness queues each workload and claim as it comes or changes.
func (s *StandIns) watchReadiness() error {
	for kind, inf := range map[string]cache.SharedIndexInformer{
		kindDeployment:  s.factory.Apps().V1().Deployments().Informer(),
		kindStatefulSet: s.factory.Apps().V1().StatefulSets().Informer(),
		kindDaemonSet:   s.factory.Apps().V1().DaemonSets().Informer(),
		kindClaim:       s.factory.Core().V1().PersistentVolumeClaims().Informer(),
		kindJob:         s.factory.Batch().V1().Jobs().Informer(),
	} {
		add := func(obj any) {
			if m, err := metaOf(obj); err == nil {
				s.queue.Add(workItem{kind: kind, namespace: m.GetNamespace(), name: m.GetName()})
			}
		}
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    add,
			UpdateFunc: func(_, obj any) { add(obj) },
		}); err != nil {
			return err
		}
	}
	return nil
}

func metaOf(obj any) (metav1.Object, error) {
	m, ok := obj.(metav1.Object)
	if !ok {
		return nil, fmt.Errorf("%T has no metadata", obj)
	}
	return m, nil
}

// reconcileReadiness writes the status of a ready workload, as its controller would once
// every pod runs, or the Bound phase of a claim, as the volume binder would.
func (s *StandIns) reconcileReadiness(ctx context.Context, item workItem) error {
	var err error
	switch item.kind {
	case kindDeployment:
		err = s.deploymentReady(ctx, item.namespace, item.name)
	case kindStatefulSet:
		err = s.statefulSetReady(ctx, item.namespace, item.name)
	case kindDaemonSet:
		err = s.daemonSetReady(ctx, item.namespace, item.name)
	case kindClaim:
		err = s.claimBound(ctx, item.namespace, item.name)
	case kindJob:
		err = s.jobComplete(ctx, item.namespace, item.name)
	}
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func replicas(n *int32) int32 {
	if n == nil {
		return 1
	}
	return *n
}

func (s *StandIns) deploymentReady(ctx context.Context, ns, name string) error {
	cur, err := s.factory.Apps().V1().Deployments().Lister().Deployments(ns).Get(name)
	if err != nil {
		return err
	}
	n := replicas(cur.Spec.Replicas)
	st := appsv1.DeploymentStatus{
		ObservedGeneration: cur.Generation,
		Replicas:           n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n,
		Conditions: []appsv1.DeploymentCondition{
			condition(cur.Status.Conditions, appsv1.DeploymentAvailable, "MinimumReplicasAvailable", "Deployment has minimum availability."),
			condition(cur.Status.Conditions, appsv1.DeploymentProgressing, "NewReplicaSetAvailable", fmt.Sprintf("ReplicaSet %q has successfully progressed.", name)),
		},
	}
	if equality.Semantic.DeepEqual(st, cur.Status) {
		return nil
	}
	d := cur.DeepCopy()
	d.Status = st
	_, err = s.c.Client.AppsV1().Deployments(ns).UpdateStatus(ctx, d, metav1.UpdateOptions{FieldManager: standInManager})
	return err
}

// condition returns a true condition, keeping the times of the one in conds, if any, as
// the controller does when nothing changes.
func condition(conds []appsv1.DeploymentCondition, typ appsv1.DeploymentConditionType, reason, msg string) appsv1.DeploymentCondition {
	for _, c := range conds {
		if c.Type == typ && c.Status == corev1.ConditionTrue && c.Reason == reason && c.Message == msg {
			return c
		}
	}
	now := metav1.Now()
	return appsv1.DeploymentCondition{Type: typ, Status: corev1.ConditionTrue, Reason: reason, Message: msg, LastUpdateTime: now, LastTransitionTime: now}
}

func (s *StandIns) statefulSetReady(ctx context.Context, ns, name string) error {
	cur, err := s.factory.Apps().V1().StatefulSets().Lister().StatefulSets(ns).Get(name)
	if err != nil {
		return err
	}
	n := replicas(cur.Spec.Replicas)
	// One revision per generation: the pods run the current spec.
	rev := fmt.Sprintf("%s-%d", name, cur.Generation)
	st := appsv1.StatefulSetStatus{
		ObservedGeneration: cur.Generation,
		Replicas:           n, ReadyReplicas: n, CurrentReplicas: n, UpdatedReplicas: n, AvailableReplicas: n,
		CurrentRevision: rev, UpdateRevision: rev,
		CollisionCount: cur.Status.CollisionCount,
	}
	if equality.Semantic.DeepEqual(st, cur.Status) {
		return nil
	}
	set := cur.DeepCopy()
	set.Status = st
	_, err = s.c.Client.AppsV1().StatefulSets(ns).UpdateStatus(ctx, set, metav1.UpdateOptions{FieldManager: standInManager})
	return err
}

// daemonSetReady writes the status of a DaemonSet running on the one node a cluster has
// at least.
func (s *StandIns) daemonSetReady(ctx context.Context, ns, name string) error {
	cur, err := s.factory.Apps().V1().DaemonSets().Lister().DaemonSets(ns).Get(name)
	if err != nil {
		return err
	}
	st := appsv1.DaemonSetStatus{
		ObservedGeneration:     cur.Generation,
		DesiredNumberScheduled: 1, CurrentNumberScheduled: 1, UpdatedNumberScheduled: 1, NumberAvailable: 1, NumberReady: 1,
		CollisionCount: cur.Status.CollisionCount,
	}
	if equality.Semantic.DeepEqual(st, cur.Status) {
		return nil
	}
	set := cur.DeepCopy()
	set.Status = st
	_, err = s.c.Client.AppsV1().DaemonSets(ns).UpdateStatus(ctx, set, metav1.UpdateOptions{FieldManager: standInManager})
	return err
}

// claimBound writes the status of a claim bound to a volume of the size and access modes
// it asks for.
func (s *StandIns) claimBound(ctx context.Context, ns, name string) error {
	cur, err := s.factory.Core().V1().PersistentVolumeClaims().Lister().PersistentVolumeClaims(ns).Get(name)
	if err != nil {
		return err
	}
	if cur.Status.Phase == corev1.ClaimBound {
		return nil
	}
	pvc := cur.DeepCopy()
	pvc.Status = corev1.PersistentVolumeClaimStatus{
		Phase:       corev1.ClaimBound,
		AccessModes: pvc.Spec.AccessModes,
		Capacity:    pvc.Spec.Resources.Requests,
	}
	_, err = s.c.Client.CoreV1().PersistentVolumeClaims(ns).UpdateStatus(ctx, pvc, metav1.UpdateOptions{FieldManager: standInManager})
	return err
}

// jobComplete writes the status of a Job whose pods all succeeded, as the job controller
// does: started, every completion succeeded, SuccessCriteriaMet and Complete. A
// suspended Job is left as it is.
func (s *StandIns) jobComplete(ctx context.Context, ns, name string) error {
	cur, err := s.factory.Batch().V1().Jobs().Lister().Jobs(ns).Get(name)
	if err != nil {
		return err
	}
	if cur.Spec.Suspend != nil && *cur.Spec.Suspend {
		return nil
	}
	for _, c := range cur.Status.Conditions {
		if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
			return nil
		}
	}
	completions := replicas(cur.Spec.Completions)
	now := metav1.Now()
	job := cur.DeepCopy()
	job.Status = batchv1.JobStatus{
		StartTime: &now, CompletionTime: &now,
		Succeeded: completions, Ready: new(int32), Terminating: new(int32),
		UncountedTerminatedPods: &batchv1.UncountedTerminatedPods{},
		Conditions: []batchv1.JobCondition{
			{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonCompletionsReached, Message: "Reached expected number of succeeded pods", LastProbeTime: now, LastTransitionTime: now},
			{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: batchv1.JobReasonCompletionsReached, Message: "Reached expected number of succeeded pods", LastProbeTime: now, LastTransitionTime: now},
		},
	}
	if cur.Spec.CompletionMode != nil && *cur.Spec.CompletionMode == batchv1.IndexedCompletion && completions > 0 {
		job.Status.CompletedIndexes = fmt.Sprintf("0-%d", completions-1)
		if completions == 1 {
			job.Status.CompletedIndexes = "0"
		}
	}
	_, err = s.c.Client.BatchV1().Jobs(ns).UpdateStatus(ctx, job, metav1.UpdateOptions{FieldManager: standInManager})
	return err
}
