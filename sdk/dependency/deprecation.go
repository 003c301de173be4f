package dependency

import (
	"fmt"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/cnbkit/cnbkit/sdk/spec"
)

// DeprecationWindow is how long ahead of a deprecation date the warnings start.
const DeprecationWindow = 30 * 24 * time.Hour

// Notice is a deprecation warning for a dependency, worded by String for the person running
// the build.
type Notice struct {
	Dependency Dependency
	Date       time.Time // the deprecation date
	Past       bool      // the date has passed
	Days       int       // whole days until (or, when Past, since) the date
	// Newer lists the newer versions available for the same target that are not deprecated
	// themselves, highest first.
	Newer []string
}

// Deprecation returns the notice for dep at time now: from DeprecationWindow before its
// deprecation date onwards. ok is false when there is nothing to say.
func (inv Inventory) Deprecation(dep Dependency, target spec.Target, now time.Time) (Notice, bool) {
	if dep.DeprecationDate.IsZero() {
		return Notice{}, false
	}
	date := dep.DeprecationDate
	if date.Sub(now) > DeprecationWindow {
		return Notice{}, false
	}
	n := Notice{Dependency: dep, Date: date, Past: !now.Before(date)}
	if n.Past {
		n.Days = int(now.Sub(date) / (24 * time.Hour))
	} else {
		n.Days = int((date.Sub(now) + 24*time.Hour - 1) / (24 * time.Hour))
	}
	current, err := semver.NewVersion(dep.Version)
	if err == nil {
		for _, v := range inv.Versions(dep.ID, target) {
			sv, err := semver.NewVersion(v)
			if err != nil || !sv.GreaterThan(current) || sv.Prerelease() != "" {
				continue
			}
			if inv.deprecatedBy(dep.ID, v, target, now) {
				continue
			}
			n.Newer = append(n.Newer, v)
		}
	}
	return n, true
}

func (inv Inventory) deprecatedBy(id, version string, target spec.Target, now time.Time) bool {
	for _, d := range inv {
		if d.ID == id && d.Version == version && d.Target.Matches(target) && !d.DeprecationDate.IsZero() && !now.Before(d.DeprecationDate) {
			return true
		}
	}
	return false
}

// String words the notice, e.g. "CPython 3.9.20 reaches its deprecation date on 2026-10-31
// (in 12 days): ...".
func (n Notice) String() string {
	d := n.Dependency
	date := n.Date.UTC().Format("2006-01-02")
	var when, what string
	if n.Past {
		switch n.Days {
		case 0:
			when = fmt.Sprintf("%s %s is deprecated as of today (%s)", d.DisplayName(), d.Version, date)
		case 1:
			when = fmt.Sprintf("%s %s has been deprecated since %s (1 day ago)", d.DisplayName(), d.Version, date)
		default:
			when = fmt.Sprintf("%s %s has been deprecated since %s (%d days ago)", d.DisplayName(), d.Version, date, n.Days)
		}
		what = "a future release of this buildpack may remove it, and this build would then fail"
	} else {
		days := fmt.Sprintf("in %d days", n.Days)
		if n.Days == 1 {
			days = "tomorrow"
		}
		when = fmt.Sprintf("%s %s reaches its deprecation date on %s (%s)", d.DisplayName(), d.Version, date, days)
		what = "builds keep working until a release of this buildpack removes it"
	}
	todo := "check the buildpack's release notes for a supported version and select it"
	if len(n.Newer) > 0 {
		todo = "select a newer version, e.g. " + strings.Join(n.Newer, " or ")
	}
	return fmt.Sprintf("%s; %s. To avoid that, %s.", when, what, todo)
}
