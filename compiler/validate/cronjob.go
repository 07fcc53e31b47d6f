package validate

import (
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxCronJobName is the longest CronJob name the API server accepts: its jobs are named
// after it with an 11-character suffix, and a job's name is a label value (63).
const maxCronJobName = 52

// checkCronJob checks the parts of a CronJob that the API server validates and mlc's
// schedules set: the name's length, the schedule and time zone being present and
// well-formed enough, the policies, and the pod template's restart policy, containers,
// volumes and mounts. The schedule's cron syntax is checked at the user's line (package
// check); the end-to-end tests create the compiled CronJob in a real API server.
func checkCronJob(c *batchv1.CronJob) field.ErrorList {
	var errs field.ErrorList
	if len(c.Name) > maxCronJobName {
		errs = append(errs, field.Invalid(field.NewPath("metadata", "name"), c.Name, "must be no more than 52 characters"))
	}
	spec := field.NewPath("spec")
	if strings.TrimSpace(c.Spec.Schedule) == "" {
		errs = append(errs, field.Required(spec.Child("schedule"), ""))
	}
	if tz := c.Spec.TimeZone; tz != nil {
		if !loadsZone(*tz) || strings.EqualFold(*tz, "Local") {
			errs = append(errs, field.Invalid(spec.Child("timeZone"), *tz, "unknown time zone"))
		}
	}
	switch c.Spec.ConcurrencyPolicy {
	case "", batchv1.AllowConcurrent, batchv1.ForbidConcurrent, batchv1.ReplaceConcurrent:
	default:
		errs = append(errs, field.NotSupported(spec.Child("concurrencyPolicy"), c.Spec.ConcurrencyPolicy, []string{"Allow", "Forbid", "Replace"}))
	}
	for _, n := range []struct {
		name string
		v    *int32
	}{{"successfulJobsHistoryLimit", c.Spec.SuccessfulJobsHistoryLimit}, {"failedJobsHistoryLimit", c.Spec.FailedJobsHistoryLimit}} {
		if n.v != nil && *n.v < 0 {
			errs = append(errs, field.Invalid(spec.Child(n.name), *n.v, "must be greater than or equal to 0"))
		}
	}
	if d := c.Spec.StartingDeadlineSeconds; d != nil && *d < 0 {
		errs = append(errs, field.Invalid(spec.Child("startingDeadlineSeconds"), *d, "must be greater than or equal to 0"))
	}
	job := spec.Child("jobTemplate", "spec")
	if b := c.Spec.JobTemplate.Spec.BackoffLimit; b != nil && *b < 0 {
		errs = append(errs, field.Invalid(job.Child("backoffLimit"), *b, "must be greater than or equal to 0"))
	}
	return append(errs, checkJobPod(&c.Spec.JobTemplate.Spec.Template.Spec, job.Child("template", "spec"))...)
}

// checkJobPod checks a job's pod spec: a restart policy jobs allow, at least one
// container, DNS-label names, and mounts of declared volumes.
func checkJobPod(pod *corev1.PodSpec, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if pod.RestartPolicy != corev1.RestartPolicyNever && pod.RestartPolicy != corev1.RestartPolicyOnFailure {
		errs = append(errs, field.NotSupported(p.Child("restartPolicy"), pod.RestartPolicy, []string{"OnFailure", "Never"}))
	}
	if len(pod.Containers) == 0 {
		errs = append(errs, field.Required(p.Child("containers"), ""))
	}
	volumes := map[string]bool{}
	for i, v := range pod.Volumes {
		for _, msg := range apivalidation.NameIsDNSLabel(v.Name, false) {
			errs = append(errs, field.Invalid(p.Child("volumes").Index(i).Child("name"), v.Name, msg))
		}
		volumes[v.Name] = true
	}
	for i, c := range pod.Containers {
		cp := p.Child("containers").Index(i)
		for _, msg := range apivalidation.NameIsDNSLabel(c.Name, false) {
			errs = append(errs, field.Invalid(cp.Child("name"), c.Name, msg))
		}
		if c.Image == "" {
			errs = append(errs, field.Required(cp.Child("image"), ""))
		}
		for j, m := range c.VolumeMounts {
			if !volumes[m.Name] {
				errs = append(errs, field.NotFound(cp.Child("volumeMounts").Index(j).Child("name"), m.Name))
			}
		}
	}
	return errs
}

// zones caches loadsZone by name.
var zones sync.Map // string -> bool

// loadsZone reports whether time.LoadLocation finds the time zone name. It
// reads the zone database each time, which does not change while mlc runs,
// so each name's answer is kept.
func loadsZone(name string) bool {
	if ok, found := zones.Load(name); found {
		return ok.(bool)
	}
	_, err := time.LoadLocation(name)
	zones.Store(name, err == nil)
	return err == nil
}
