package compiler

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// Stats say where a compilation spent its time, so that users can find the tenant that
// makes their render slow.
type Stats struct {
	// Tenants has a line per compiled tenant, slowest first.
	Tenants []TenantStats
	// Evaluated counts the tenants evaluated with CUE; Cached those read from the cache.
	Evaluated, Cached int
	// Validated counts the evaluated tenants' objects validated against the upstream
	// schemas; KnownValid those that were not, being the same as when this mlc
	// validated them for an earlier compilation.
	Validated, KnownValid int
	// PlatformValidated and PlatformKnownValid count the same of the objects compiled
	// from the platform files alone: the clusters' Flux bootstrap.
	PlatformValidated, PlatformKnownValid int
	// Platform is the time spent before the tenants: reading the repository and
	// evaluating and checking the platform files.
	Platform time.Duration
	// Total is the compilation's wall time.
	Total time.Duration
}

// TenantStats is one tenant's share of a compilation.
type TenantStats struct {
	Name string
	// Cached is true when the tenant was read from the cache instead of evaluated.
	Cached bool
	// Evaluate is the CUE evaluation's time; Compile is the time spent checking,
	// lowering, validating and (with Options.Encode) encoding, or reading the cache entry.
	Evaluate, Compile time.Duration
	// Objects counts the tenant's objects over the selected clusters.
	Objects int
}

// Time is the tenant's whole time.
func (t TenantStats) Time() time.Duration { return t.Evaluate + t.Compile }

func (s *Stats) add(wanted []string, results map[string]tenantResult) {
	for _, name := range wanted {
		r := results[name]
		ts := TenantStats{Name: name, Cached: r.cached, Evaluate: r.evaluate, Compile: r.compile}
		for _, o := range r.outputs {
			ts.Objects += len(o.Platform) + len(o.Workloads)
		}
		if r.cached {
			s.Cached++
		} else {
			s.Evaluated++
		}
		s.Validated += r.validated
		s.KnownValid += r.knownValid
		s.Tenants = append(s.Tenants, ts)
	}
	slices.SortFunc(s.Tenants, func(a, b TenantStats) int {
		return cmp.Or(cmp.Compare(b.Time(), a.Time()), cmp.Compare(a.Name, b.Name))
	})
}

// Write prints the stats as a table, slowest tenant first, and a total line.
func (s *Stats) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "tenant\ttime\tevaluate\tcompile\tobjects\tcache\t")
	objects := 0
	for _, t := range s.Tenants {
		state := "miss"
		if t.Cached {
			state = "hit"
		}
		objects += t.Objects
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t\n", t.Name, ms(t.Time()), ms(t.Evaluate), ms(t.Compile), t.Objects, state)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "total: %d tenants (%d evaluated, %d from the cache), %d objects, in %s (platform %s)\n",
		len(s.Tenants), s.Evaluated, s.Cached, objects, ms(s.Total), ms(s.Platform)); err != nil {
		return err
	}
	if s.KnownValid == 0 {
		return nil
	}
	_, err := fmt.Fprintf(w, "validated %d of the evaluated tenants' objects; %d were as when last validated\n", s.Validated, s.KnownValid)
	return err
}

// ms formats a duration in milliseconds with one decimal.
func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000) }
