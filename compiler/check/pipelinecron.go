package check

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
	// Time zones are checked against the Go release's database, not the machine's, so
	// that every machine gives the same answer.
	_ "time/tzdata"

	"github.com/robfig/cron/v3"

	"github.com/mlc-gitops/mlc/compiler/model"
	"github.com/mlc-gitops/mlc/compiler/names"
)

// schedule checks a pipeline's schedule: its cron, time zone and run parameters, and
// that its CronJob's name fits.
func (c *pipelineCheck) schedule() {
	s := c.pl.Schedule
	if s == nil {
		return
	}
	path := c.path + ".schedule"
	if err := parseCronJobSchedule(s.Cron); err != nil {
		c.errorf(path+".cron", "%q is not a schedule a Kubernetes CronJob reads: %v", s.Cron, err)
	}
	if err := checkTimeZone(s.TimeZone); err != nil {
		c.errorf(path+".timeZone", "%v", err)
	}
	c.scheduleImage(path)
	if len(c.name) > names.MaxScheduleName {
		c.errorf(path, "the schedule's CronJob is named after the pipeline, and Kubernetes takes at most %d characters there (%s has %d)", names.MaxScheduleName, c.name, len(c.name))
	}
	for _, name := range slices.Sorted(maps.Keys(s.Parameters)) {
		p, ok := c.pl.Parameters[name]
		ppath := path + "." + model.Path("parameters", name)
		if !ok {
			c.errorf(ppath, "no parameter %q in the pipeline (have %s)", name, keyList(c.pl.Parameters))
			continue
		}
		if got := model.ValueType(s.Parameters[name]); !assignable(got, p.Kind()) {
			c.errorf(ppath, "parameter %s is %s, given %s", name, an(p.Kind()), an(got))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.pl.Parameters)) {
		if _, given := s.Parameters[name]; !given && len(c.pl.Parameters[name].Default) == 0 {
			c.errorf(path, "parameter %s has no default, so scheduled runs need a value: set schedule.parameters.%s", name, name)
		}
	}
}

// scheduleImage checks the image of the schedule's job, the platform's
// defaults.pipelines.scheduleImage, against policy.allowedRegistries, as every image a
// tenant runs is.
func (c *pipelineCheck) scheduleImage(path string) {
	img := c.plat.Defaults.Pipelines.ScheduleImage
	allowed := c.plat.Policy.AllowedRegistries
	if img == "" {
		return
	}
	which := "defaults.pipelines.scheduleImage"
	if img == model.DefaultScheduleImage {
		which = "the default of defaults.pipelines.scheduleImage"
	}
	e := judgeImage(img, allowed)
	switch {
	case e == nil:
		return
	case e.syntax != nil:
		c.errorf(path, "the schedule's job runs %s, %q, which is not a valid image reference: %v", which, img, e.syntax)
		return
	}
	c.errorf(path, "the schedule's job runs %s, %q, which is not from an allowed registry (policy.allowedRegistries: %s): set defaults.pipelines.scheduleImage in the platform to an image with Python 3 from one of them", which, img, strings.Join(allowed, ", "))
}

// checkTimeZone reports whether Kubernetes accepts a CronJob's timeZone: an IANA time
// zone name, not "Local".
func checkTimeZone(tz string) error {
	if strings.EqualFold(tz, "Local") {
		return fmt.Errorf("name a time zone, such as Etc/UTC or Europe/Paris: Kubernetes refuses %q", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return fmt.Errorf("%q is not a time zone of the IANA database (such as Etc/UTC or Europe/Paris)", tz)
	}
	return nil
}

// cronJobFields name the five fields of a Kubernetes CronJob's schedule, for messages.
var cronJobFields = [...]string{"minute", "hour", "day of month", "month", "day of week"}

// parseCronJobSchedule reports whether Kubernetes accepts a CronJob's schedule. The API
// server reads it with github.com/robfig/cron/v3's ParseStandard (five fields or a
// descriptor such as @daily or @every 2h), as this does, and refuses a time zone in it
// (TZ= or CRON_TZ=): that goes in timeZone. The error names the field that is wrong.
func parseCronJobSchedule(spec string) error {
	// Checked before parsing, as Kubernetes does; the parser also panics on some TZ= forms.
	if strings.Contains(spec, "TZ") {
		return fmt.Errorf("set the time zone in schedule.timeZone, not in cron")
	}
	_, err := cron.ParseStandard(spec)
	if err == nil {
		return nil
	}
	if strings.HasPrefix(spec, "@") {
		return fmt.Errorf("%v (Kubernetes reads @yearly, @monthly, @weekly, @daily, @hourly and @every <duration>)", err)
	}
	fields := strings.Fields(spec)
	if len(fields) != len(cronJobFields) {
		return fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	// The parser reads each field apart from the others: parse them one at a time, the
	// others any value, to name the one it refuses.
	for i, f := range fields {
		alone := []string{"*", "*", "*", "*", "*"}
		alone[i] = f
		if _, ferr := cron.ParseStandard(strings.Join(alone, " ")); ferr != nil {
			return fmt.Errorf("%s field %q: %v", cronJobFields[i], f, ferr)
		}
	}
	return err
}
