package pip_test

import (
	"testing"
	"testing/fstest"

	. "github.com/onsi/gomega"

	"github.com/cnbkit/cnbkit/buildpacks/python/internal/pip"
)

// The outputs are pip's own (23.x to 25.x), trimmed.
func TestDiagnose(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		output  string
		kind    pip.Failure
		project string
		message string
	}{
		{"hash mismatch", "Collecting uvicorn==0.17.6\nERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.\n    uvicorn==0.17.6 from file:///w/uvicorn-0.17.6-py3-none-any.whl:\n        Expected sha256 0000\n             Got        abcd\n",
			pip.FailureHashMismatch, "uvicorn", "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them."},
		{"hashes missing", "ERROR: Hashes are required in --require-hashes mode, but they are missing from some requirements. Here is a list of those requirements along with the hashes their downloaded archives actually had.\n", pip.FailureHashesMissing, "", ""},
		{"not found", "Looking in links: wheels\nERROR: Could not find a version that satisfies the requirement nothere==9 (from versions: none)\nERROR: No matching distribution found for nothere==9\n",
			pip.FailureNotFound, "nothere", "ERROR: No matching distribution found for nothere==9"},
		{"requires a different Python", "Processing ./wheels/newpy-1.0-py3-none-any.whl\nERROR: Package 'newpy' requires a different Python: 3.11.7 not in '>=3.99'\n", pip.FailureWrongPython, "newpy", ""},
		{"only versions for other Pythons", "ERROR: Ignored the following versions that require a different python version: 2.0 Requires-Python >=3.13\nERROR: Could not find a version that satisfies the requirement newpy==2.0 (from versions: 1.0)\nERROR: No matching distribution found for newpy==2.0\n", pip.FailureWrongPython, "newpy", ""},
		{"network", "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'NewConnectionError('<pip._vendor.urllib3.connection.HTTPConnection object at 0x7f>: Failed to establish a new connection: [Errno 111] Connection refused')': /simple/uvicorn/\nERROR: Could not find a version that satisfies the requirement uvicorn (from versions: none)\nERROR: No matching distribution found for uvicorn\n", pip.FailureNetwork, "", ""},
		{"auth", "ERROR: HTTP error 401 while getting http://127.0.0.1:1/simple/uvicorn/\nERROR: 401 Client Error: Unauthorized for url: http://127.0.0.1:1/simple/uvicorn/\n", pip.FailureAuth, "", ""},
		{"build", "  error: subprocess-exited-with-error\n  × Building wheel for pydantic-core (pyproject.toml) did not run successfully.\n  ERROR: Failed building wheel for pydantic-core\nERROR: Could not build wheels for pydantic-core, which is required to install pyproject.toml-based projects\n", pip.FailureBuild, "pydantic-core", ""},
		{"invalid", "ERROR: Invalid requirement: 'foo bar baz' (from line 1 of requirements.txt)\n", pip.FailureInvalid, "", "ERROR: Invalid requirement: 'foo bar baz' (from line 1 of requirements.txt)"},
		{"conflict", "ERROR: Cannot install a==1 and b==2 because these package versions have conflicting dependencies.\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io/\n", pip.FailureConflict, "", ""},
		{"unknown", "Traceback\n  boom\nKeyError: 'x'\n", pip.FailureUnknown, "", "KeyError: 'x'"},
		{"no output", "", pip.FailureUnknown, "", "no output (the full log is above)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := NewWithT(t)
			d := pip.Diagnose(tt.output)
			g.Expect(d.Kind).To(Equal(tt.kind))
			g.Expect(d.Project).To(Equal(tt.project))
			if tt.message != "" {
				g.Expect(d.Message).To(Equal(tt.message))
			}
		})
	}
}

func TestWheelsFor(t *testing.T) {
	t.Parallel()
	app := fstest.MapFS{
		"wheels/pydantic_core-2.27.2-cp313-cp313-linux_x86_64.whl": {},
		"wheels/Pydantic_Core-2.27.1.tar.gz":                       {},
		"wheels/pydantic-2.10.6-py3-none-any.whl":                  {},
		"wheels/README": {},
	}
	NewWithT(t).Expect(pip.WheelsFor(app, "wheels", "pydantic-core")).To(Equal([]string{
		"wheels/Pydantic_Core-2.27.1.tar.gz", "wheels/pydantic_core-2.27.2-cp313-cp313-linux_x86_64.whl"}))
	NewWithT(t).Expect(pip.WheelsFor(app, "nowhere", "x")).To(BeEmpty())
}
