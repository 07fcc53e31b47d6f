package check

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mlc-gitops/mlc/compiler/lower"
	"github.com/mlc-gitops/mlc/compiler/model"
)

// schedule checks a pipeline's schedule: its cron and its run parameters.
func (c *pipelineCheck) schedule() {
	s := c.pl.Schedule
	if s == nil {
		return
	}
	path := c.path + ".schedule"
	if err := parseControllerCron(lower.ControllerCron(s.Cron)); err != nil {
		c.errorf(path+".cron", "%q is not a schedule KFP's controller reads: %v", s.Cron, err)
	}
	if s.MaxConcurrency < 1 || s.MaxConcurrency > 10 {
		c.errorf(path+".maxConcurrency", "KFP runs 1 to 10 runs of a schedule at once (got %d)", s.MaxConcurrency)
	}
	for _, name := range slices.Sorted(maps.Keys(s.Parameters)) {
		p, ok := c.pl.Parameters[name]
		ppath := path + "." + model.Path("parameters", name)
		if !ok {
			c.errorf(ppath, "no parameter %q in the pipeline (have %s)", name, keyList(c.pl.Parameters))
			continue
		}
		if got := model.ValueType(s.Parameters[name]); !assignable(got, p.Kind()) {
			c.errorf(ppath, "parameter %s is a %s, given a %s", name, p.Kind(), got)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(c.pl.Parameters)) {
		if _, given := s.Parameters[name]; !given && len(c.pl.Parameters[name].Default) == 0 {
			c.errorf(path, "parameter %s has no default, so scheduled runs need a value: set schedule.parameters.%s", name, name)
		}
	}
}

// cronField is one field of a cron expression and its range.
type cronField struct {
	name     string
	min, max int
	names    []string
}

// controllerFields are the fields KFP's schedule controller reads (robfig/cron v1's
// default parser: seconds first, day of week optional).
var controllerFields = []cronField{
	{"second", 0, 59, nil},
	{"minute", 0, 59, nil},
	{"hour", 0, 23, nil},
	{"day of month", 1, 31, nil},
	{"month", 1, 12, []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}},
	{"day of week", 0, 6, []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}},
}

// parseControllerCron reports whether KFP's schedule controller parses a cron
// expression, with the rules of github.com/robfig/cron v1.2.0's Parse, which it uses.
func parseControllerCron(spec string) error {
	if spec == "" {
		return fmt.Errorf("empty")
	}
	if strings.HasPrefix(spec, "@") {
		switch spec {
		case "@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly":
			return nil
		}
		if d, ok := strings.CutPrefix(spec, "@every "); ok {
			if _, err := time.ParseDuration(d); err != nil {
				return fmt.Errorf("@every takes a duration such as 6h or 90m: %v", err)
			}
			return nil
		}
		return fmt.Errorf("unknown descriptor %s (have @yearly, @monthly, @weekly, @daily, @hourly and @every DURATION)", spec)
	}
	fields := strings.Fields(spec)
	if len(fields) < 5 || len(fields) > 6 {
		return fmt.Errorf("want 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, found %d", len(fields))
	}
	for i, f := range fields {
		if err := controllerFields[i].parse(f); err != nil {
			return fmt.Errorf("%s field %q: %v", controllerFields[i].name, f, err)
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
