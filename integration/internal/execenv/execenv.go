package execenv

// Case is one build of the probe and what its image's launcher does.
type Case struct {
	// Name names the case in test output.
	Name string
	// ExecEnv is the environment to build for (BuildOptions.ExecEnv, pack build --exec-env);
	// empty leaves the platform's default.
	ExecEnv string
	// Built is the environment the build reports: the image label io.buildpacks.exec-env,
	// the probe's label org.cnbkit-it.probe.exec-env and its log line.
	Built string
	// RunEnv is the CNB_EXEC_ENV the launcher starts with; empty leaves it unset.
	RunEnv string
	// Found maps the process types the launcher runs to their output.
	Found map[string]string
	// Missing are the process types the launcher refuses ("process type <t> was not found").
	Missing []string
}

// ProcessExecEnv is the exec-env list of each process type the probe declares.
var ProcessExecEnv = map[string][]string{"web": {"production"}, "tests": {"test", "development"}, "env": {"*"}}

// Cases are the default build (production) and a build for test.
var Cases = []Case{
	{
		Name: "default (production)", Built: "production",
		Found: map[string]string{
			"web": "web process (production only), built for production\n",
			"env": "env process (every environment), launched with CNB_EXEC_ENV=unset\n",
		},
		Missing: []string{"tests"},
	},
	{
		Name: "test", ExecEnv: "test", Built: "test", RunEnv: "test",
		Found: map[string]string{
			"tests": "tests process (test and development), built for test\n",
			"env":   "env process (every environment), launched with CNB_EXEC_ENV=test\n",
		},
		Missing: []string{"web"},
	},
}

// NotFound is what the launcher prints when it refuses process type typ.
func NotFound(typ string) string { return "process type " + typ + " was not found" }
