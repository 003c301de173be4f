package pyversion

import (
	"fmt"
	"slices"
)

// Choice is the version picked for the build and why.
type Choice struct {
	Version Version
	Request Request // the request that decided; Source is SourceDefault when nothing asked
	// Overridden lists lower-priority requests that do not allow Version; the caller should
	// warn about each, because the app says two different things.
	Overridden []Request
}

// UnavailableError says no available release satisfies the deciding request.
type UnavailableError struct {
	Request   Request
	Available []Version
}

func (e *UnavailableError) Error() string {
	return fmt.Sprintf("no CPython release available matches %s from %s", e.Request.Raw, e.Request.Source)
}

// ConflictError says the deciding request picks a version the project's requires-python
// excludes.
type ConflictError struct {
	Chosen         Choice
	RequiresPython Request
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("CPython %s from %s is outside requires-python %s", e.Chosen.Version, e.Chosen.Request.Source, e.RequiresPython.Raw)
}

// Choose picks the newest available release that the highest-priority request allows (the
// first of reqs, as returned by [Read]); with no request, the newest available release.
func Choose(reqs []Request, available []Version) (Choice, error) {
	if len(available) == 0 {
		return Choice{}, fmt.Errorf("choosing a CPython version: the buildpack lists no CPython release for this target")
	}
	if len(reqs) == 0 {
		var best Version
		for _, v := range available {
			if best == nil || v.Compare(best) > 0 {
				best = v
			}
		}
		return Choice{Version: best, Request: Request{Source: SourceDefault, Raw: best.Minor()}}, nil
	}
	first := reqs[0]
	v, ok := first.Spec.Newest(available)
	if !ok {
		sorted := slices.Clone(available)
		slices.SortFunc(sorted, func(a, b Version) int { return b.Compare(a) })
		return Choice{}, &UnavailableError{Request: first, Available: sorted}
	}
	c := Choice{Version: v, Request: first}
	for _, r := range reqs[1:] {
		if r.Spec.Allows(v) {
			continue
		}
		if r.Source == SourceRequiresPython {
			return Choice{}, &ConflictError{Chosen: c, RequiresPython: r}
		}
		c.Overridden = append(c.Overridden, r)
	}
	return c, nil
}

// endOfLife lists when CPython release series reached or reach their end of life, from the
// Python release schedule (PEP 569, 596, 619, 664, 693, 719, 745).
var endOfLife = map[string]string{
	"2.7":  "2020-01-01",
	"3.6":  "2021-12-23",
	"3.7":  "2023-06-27",
	"3.8":  "2024-10-07",
	"3.9":  "2025-10-31",
	"3.10": "2026-10-31",
	"3.11": "2027-10-31",
	"3.12": "2028-10-31",
	"3.13": "2029-10-31",
	"3.14": "2030-10-31",
}

// EndOfLife returns the end-of-life date (YYYY-MM-DD) of a release series such as "3.9".
func EndOfLife(minor string) (string, bool) {
	d, ok := endOfLife[minor]
	return d, ok
}
