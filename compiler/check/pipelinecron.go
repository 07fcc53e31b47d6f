package check

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	// Time zones are checked against the Go release's database, not the machine's, so
	// that every machine gives the same answer.
	_ "time/tzdata"

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

// cronField is one field of a cron expression and its range.
type cronField struct {
	name     string
	min, max int
	names    []string
}

// cronJobFields are the fields of a Kubernetes CronJob's schedule: the standard five,
// as github.com/robfig/cron/v3's ParseStandard, which Kubernetes uses, reads them.
var cronJobFields = []cronField{
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 6, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// parseCronJobSchedule reports whether Kubernetes accepts a CronJob's schedule: five
// fields or a descriptor. A time zone in the schedule (TZ= or CRON_TZ=) is refused, as
// Kubernetes refuses it: it goes in timeZone.
func parseCronJobSchedule(spec string) error {
	if strings.Contains(spec, "TZ") {
		return fmt.Errorf("set the time zone in schedule.timeZone, not in cron")
	}
	if strings.HasPrefix(spec, "@") {
		switch spec {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
			return nil
		}
		return fmt.Errorf("unknown descriptor %s (have @yearly, @monthly, @weekly, @daily and @hourly)", spec)
	}
	fields := strings.Fields(spec)
	if len(fields) != len(cronJobFields) {
		return fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week), found %d", len(fields))
	}
	for i, f := range fields {
		if err := cronJobFields[i].parse(f); err != nil {
			return fmt.Errorf("%s field %q: %v", cronJobFields[i].name, f, err)
		}
	}
	return nil
}

func (f cronField) parse(field string) error {
	for _, expr := range strings.Split(field, ",") {
		if expr == "" {
			continue
		}
		rangeAndStep := strings.Split(expr, "/")
		if len(rangeAndStep) > 2 {
			return fmt.Errorf("too many slashes")
		}
		lowHigh := strings.Split(rangeAndStep[0], "-")
		start, end := f.min, f.max
		if lowHigh[0] != "*" && lowHigh[0] != "?" {
			var err error
			if start, err = f.value(lowHigh[0]); err != nil {
				return err
			}
			switch len(lowHigh) {
			case 1:
				end = start
			case 2:
				if end, err = f.value(lowHigh[1]); err != nil {
					return err
				}
			default:
				return fmt.Errorf("too many hyphens")
			}
		}
		if len(rangeAndStep) == 2 {
			step, err := strconv.Atoi(rangeAndStep[1])
			if err != nil || step <= 0 {
				return fmt.Errorf("the step must be a positive number")
			}
			if len(lowHigh) == 1 {
				end = f.max
			}
		}
		switch {
		case start < f.min:
			return fmt.Errorf("%d is below %d", start, f.min)
		case end > f.max:
			return fmt.Errorf("%d is above %d", end, f.max)
		case start > end:
			return fmt.Errorf("the range starts after it ends")
		}
	}
	return nil
}

func (f cronField) value(s string) (int, error) {
	if i := slices.Index(f.names, strings.ToLower(s)); i >= 0 {
		return i + f.min, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < 0 {
		return 0, fmt.Errorf("negative numbers are not allowed")
	}
	return n, nil
}
