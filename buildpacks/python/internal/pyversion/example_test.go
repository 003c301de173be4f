package pyversion_test

import (
	"fmt"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pyversion"
)

func ExampleSpecifier_Newest() {
	var available []pyversion.Version
	for _, s := range []string{"3.11.16", "3.12.13", "3.12.14", "3.13.15"} {
		v, _ := pyversion.ParseVersion(s)
		available = append(available, v)
	}
	for _, request := range []string{"3.12", "3.12.13", ">=3.11,<3.13", "~=3.11.0"} {
		spec, _ := pyversion.ParseSpecifier(request)
		v, _ := spec.Newest(available)
		fmt.Printf("%s -> %s\n", request, v)
	}
	// Output:
	// 3.12 -> 3.12.14
	// 3.12.13 -> 3.12.13
	// >=3.11,<3.13 -> 3.12.14
	// ~=3.11.0 -> 3.11.16
}
