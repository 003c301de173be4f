// Package cnbtest runs a buildpack's detect and build in-process, the way net/http/httptest
// runs a handler: against an application given as an fstest.MapFS or a testdata folder, with
// fake platform env, service bindings, target and plan, in temporary directories. It goes
// through the same driver as sdk.Main (sdk.Run), never touches the process environment or the
// working directory, and so works with t.Parallel().
//
// Outcomes speak the SDK's types: a detect pass or fail with its reason and its sdk.BuildPlans;
// the layers with their sdk.LayerTypes, environment by scope and variable name (LaunchEnv,
// ProcessEnv, ...), exec.d programs and SBOM files, with the status OpenLayer gave each, and
// their metadata decoded into the author's type with LayerMetadata; sdk.Process values,
// labels, unmet entries and the sdk.Store, all read strictly from the files the lifecycle
// would read. Options.Plan takes sdk.Requires, typed as detect writes them. Pass a build's
// LayersDir as Options.Layers
// to run a second build the way the lifecycle would restore it, to test layer reuse and cache
// misses. Gomega matchers cover the common assertions.
package cnbtest
