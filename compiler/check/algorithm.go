package check

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/mlc-gitops/mlc/compiler/model"
)

// settingRule checks the value of one algorithm setting; it returns what is wrong with
// it, or "".
type settingRule func(v model.Setting) string

func intAtLeast(least int64) settingRule {
	return func(v model.Setting) string {
		n, err := strconv.ParseInt(v.String(), 10, 64)
		switch {
		case err != nil:
			return fmt.Sprintf("must be an integer (got %s)", v)
		case n < least:
			return fmt.Sprintf("must be %d or more (got %d)", least, n)
		}
		return ""
	}
}

func floatAbove(bound float64, inclusive bool) settingRule {
	return func(v model.Setting) string {
		f, err := strconv.ParseFloat(v.String(), 64)
		switch {
		case err != nil:
			return fmt.Sprintf("must be a number (got %s)", v)
		case inclusive && f < bound:
			return fmt.Sprintf("must be %g or more (got %s)", bound, v)
		case !inclusive && f <= bound:
			return fmt.Sprintf("must be more than %g (got %s)", bound, v)
		}
		return ""
	}
}

func oneOf(values ...string) settingRule {
	return func(v model.Setting) string {
		if !slices.Contains(values, v.String()) {
			return fmt.Sprintf("must be one of %s (got %s)", strings.Join(values, ", "), v)
		}
		return ""
	}
}

// fraction takes a number strictly between 0 and 1.
func fraction(v model.Setting) string {
	f, err := strconv.ParseFloat(v.String(), 64)
	if err != nil || f <= 0 || f >= 1 {
		return fmt.Sprintf("must be a number between 0 and 1, both excluded (got %s)", v)
	}
	return ""
}

// anyString takes any value; another check looks at it.
func anyString(model.Setting) string { return "" }

// algorithmSettings are the settings each algorithm takes from its suggestion service in
// Katib's default configuration (hyperopt for random and tpe, optuna for grid and
// multivariate-tpe, goptuna for cmaes and sobol, scikit-optimize for bayesianoptimization),
// with the values those services accept. A service refuses a setting it does not know,
// or, for goptuna, ignores it.
var algorithmSettings = map[string]map[string]settingRule{
	"random": {"random_state": intAtLeast(0)},
	"tpe": {
		"gamma": fraction, "prior_weight": floatAbove(0, false),
		"n_EI_candidates": intAtLeast(1), "random_state": intAtLeast(0),
	},
	"grid": {"random_state": intAtLeast(0)},
	"multivariate-tpe": {
		"n_startup_trials": intAtLeast(0), "n_ei_candidates": intAtLeast(0), "random_state": intAtLeast(0),
	},
	"cmaes": {
		"random_state": intAtLeast(0), "sigma": floatAbove(0, true), "restart_strategy": oneOf("ipop", "bipop", "none"),
	},
	"sobol": {},
	"bayesianoptimization": {
		"base_estimator":   oneOf("GP", "RF", "ET", "GBRT"),
		"n_initial_points": intAtLeast(0),
		"acq_func":         oneOf("gp_hedge", "LCB", "EI", "PI", "EIps", "PIps"),
		"acq_optimizer":    oneOf("auto", "sampling", "lbfgs"),
		"random_state":     intAtLeast(0),
	},
	"hyperband": {"resource_name": anyString, "eta": intAtLeast(2), "r_l": floatAbove(0, false)},
}

// earlyStoppingSettings are what Katib's medianstop service takes.
var earlyStoppingSettings = map[string]map[string]settingRule{
	"medianstop": {"min_trials_required": intAtLeast(1), "start_step": intAtLeast(1)},
}

// settings checks settings against what an algorithm takes.
func (r *reporter) settings(path, algorithm string, settings map[string]model.Setting, rules map[string]settingRule) bool {
	ok := true
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		spath := path + "." + model.Path(name)
		rule, known := rules[name]
		if !known {
			if len(rules) == 0 {
				r.errorf(spath, "%s takes no settings; remove %s", algorithm, name)
			} else {
				r.errorf(spath, "%s takes %s, not %s", algorithm, strings.Join(slices.Sorted(maps.Keys(rules)), ", "), name)
			}
			ok = false
			continue
		}
		if msg := rule(settings[name]); msg != "" {
			r.errorf(spath, "%s", msg)
			ok = false
		}
	}
	return ok
}

// algorithm checks the algorithm's settings, and what the algorithm needs of the
// search space, as its suggestion service would before the first trial.
func (r *reporter) algorithm(path string, exp model.Experiment) {
	if !r.settings(path+".algorithmSettings", exp.Algorithm, exp.AlgorithmSettings, algorithmSettings[exp.Algorithm]) {
		return
	}
	switch exp.Algorithm {
	case "hyperband":
		r.hyperband(path, exp)
	case "grid":
		r.grid(path, exp)
	case "cmaes":
		numeric := 0
		for _, prm := range exp.Parameters {
			if k := prm.Kind(); k == model.ParameterDouble || k == model.ParameterInt {
				numeric++
			}
		}
		if numeric < 2 {
			r.errorf(path+".algorithm", "cmaes searches two or more double or int parameters (have %d); choose another algorithm, such as tpe", numeric)
		}
	}
}

// hyperband checks that the resource parameter exists and is a number, and that the
// experiment runs as many trials at once as hyperband's first bracket needs.
func (r *reporter) hyperband(path string, exp model.Experiment) {
	settings := exp.AlgorithmSettings
	spath := path + ".algorithmSettings"
	res, hasRes := settings["resource_name"]
	rl, hasRL := settings["r_l"]
	if !hasRes || !hasRL {
		r.errorf(spath, "hyperband needs resource_name (the parameter it allocates, such as epochs) and r_l (the most of it a trial gets)")
		return
	}
	prm, ok := exp.Parameters[res.String()]
	if !ok {
		r.errorf(spath+".resource_name", "no parameter %q: hyperband's resource is one of the experiment's parameters (have %s)", res, keyList(exp.Parameters))
		return
	}
	if k := prm.Kind(); k != model.ParameterInt && k != model.ParameterDouble {
		r.errorf(spath+".resource_name", "hyperband's resource parameter %s must be an int or double, not %s", res, k)
		return
	}
	eta := int64(3)
	if e, ok := settings["eta"]; ok {
		eta, _ = strconv.ParseInt(e.String(), 10, 64)
	}
	// As Katib's hyperband service computes it: s_max = int(log(r_l) / log(eta)).
	sMax := int(math.Log(rl.Float()) / math.Log(float64(eta)))
	need := int64(math.Ceil(math.Pow(float64(eta), float64(sMax))))
	if exp.ParallelTrials < need {
		r.errorf(path+".parallelTrials", "hyperband with eta %d and r_l %s runs %d trials at once in its first bracket: set parallelTrials to %d or more",
			eta, rl, need, need)
	}
	if rl.Float() < float64(eta) {
		r.warnf(spath+".r_l", "with r_l (%s) under eta (%d), hyperband has a single bracket and stops no trial early", rl, eta)
	}
}

// grid checks that every double parameter has a step, and that the grid has at least
// maxTrials points, as Katib's grid service requires.
func (r *reporter) grid(path string, exp model.Experiment) {
	points := 1.0
	for _, name := range slices.Sorted(maps.Keys(exp.Parameters)) {
		prm := exp.Parameters[name]
		if prm.Kind() == model.ParameterDouble && prm.Step == nil {
			r.errorf(path+"."+model.Path("parameters", name), "grid search needs a step for double parameters: add step")
			return
		}
		points *= float64(gridPoints(prm))
	}
	// A parameter with no points is reported on its own.
	if m := exp.MaxTrials; m != nil && points > 0 && float64(*m) > points {
		r.errorf(path+".maxTrials", "the grid has %.0f points, fewer than maxTrials (%d): Katib's grid search refuses that; lower maxTrials or refine the grid", points, *m)
	}
}

// gridPoints is how many values grid search tries of a parameter, as Katib counts them:
// min, min+step, ... up to max; an int's step is 1 when unset.
func gridPoints(prm model.Parameter) int {
	switch prm.Kind() {
	case model.ParameterCategorical, model.ParameterDiscrete:
		return len(prm.Values)
	}
	if prm.Min == nil || prm.Max == nil {
		return 0
	}
	lo, hi := prm.Min.Float(), prm.Max.Float()
	step := 1.0
	if prm.Step != nil {
		step = prm.Step.Float()
	}
	if step <= 0 || hi < lo {
		return 0
	}
	if prm.Kind() == model.ParameterInt {
		return int(math.Ceil((hi + 1 - lo) / step))
	}
	// numpy.arange(min, max+step, step), less its last value when that passes max.
	n := int(math.Ceil((hi + step - lo) / step))
	if lo+float64(n-1)*step > hi {
		n--
	}
	return n
}

// earlyStopping checks the early stopping algorithm's settings.
func (r *reporter) earlyStopping(path string, es *model.EarlyStopping) {
	if es != nil {
		r.settings(path+".settings", es.Algorithm, es.Settings, earlyStoppingSettings[es.Algorithm])
	}
}
