package sdk

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/cnbkit/cnbkit/internal/terminal"
	"github.com/cnbkit/cnbkit/sdk/internal/cnb"
	"github.com/cnbkit/cnbkit/sdk/spec"
)

// Exit codes of bin/detect and bin/build.
const (
	ExitPass       = 0   // detect passed, build succeeded
	ExitError      = 1   // something went wrong
	ExitDetectFail = 100 // detect decided the buildpack does not apply
)

// The range of Buildpack API versions the SDK implements.
const (
	MinAPI = "0.10"
	MaxAPI = "0.12"
)

// Invocation is everything a run of bin/detect or bin/build reads from its process. Main fills
// it from the real process; cnbtest fills it with temporary directories and maps, so that runs
// never touch the process environment or working directory.
type Invocation struct {
	// Phase is "detect" or "build". Main uses the program name (bin/detect and bin/build are the
	// same executable); when the name is neither, the first argument is tried.
	Phase string
	// Args are the positional arguments (after the program name). The lifecycle passes
	// <platform> <plan> to detect and <layers> <platform> <plan> to build; the CNB_* variables
	// win when both are present.
	Args []string
	// Env is the process environment as the lifecycle set it (CNB_*, BP_*, ...).
	Env map[string]string
	// AppDir is the application directory (the working directory under the lifecycle).
	AppDir string
	// Stdout receives the log; Stderr receives the rendered error.
	Stdout, Stderr io.Writer
	// Color turns on ANSI colours (Main: when stdout is a terminal and NO_COLOR is unset).
	Color bool
}

// Exit is the outcome of a run.
type Exit struct {
	Code       int    // ExitPass, ExitDetectFail or ExitError
	Err        error  // what failed when Code is ExitError
	FailReason string // detect's reason when Code is ExitDetectFail
	// Layers is the status of every layer build opened (empty for detect).
	Layers map[string]LayerStatus
}

// Option changes how Main and Run behave.
type Option func(*settings)

type settings struct {
	now func() time.Time
}

// WithClock replaces the clock used for durations in the log, for reproducible output.
func WithClock(now func() time.Time) Option {
	return func(s *settings) { s.now = now }
}

// Main runs detect or build as the lifecycle asks and exits the process with the matching code.
// Call it from the buildpack's main function; bin/detect and bin/build are the same program.
func Main[M, C any](detect DetectFunc[M, C], build BuildFunc[M, C], opts ...Option) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cwd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "ERROR: reading the working directory: %v\n", err)
		os.Exit(ExitError)
	}
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	_, noColor := env["NO_COLOR"]
	exit := Run(ctx, Invocation{
		Phase:  strings.TrimSuffix(filepath.Base(os.Args[0]), ".exe"),
		Args:   os.Args[1:],
		Env:    env,
		AppDir: cwd,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		Color:  !noColor && terminal.Is(os.Stdout),
	}, detect, build, opts...)
	stop()
	os.Exit(exit.Code)
}

// Run is the one driver behind Main and cnbtest: it reads the invocation, checks the
// Buildpack API, decodes metadata and configuration, calls detect or build, writes the files
// the lifecycle reads and renders any error. It never reads the process environment or working
// directory.
func Run[M, C any](ctx context.Context, inv Invocation, detect DetectFunc[M, C], build BuildFunc[M, C], opts ...Option) Exit {
	s := settings{now: time.Now}
	for _, o := range opts {
		o(&s)
	}
	stdout, stderr := inv.Stdout, inv.Stderr
	stdout = cmp.Or[io.Writer](stdout, io.Discard)
	stderr = cmp.Or(stderr, stdout)
	debug := strings.EqualFold(inv.Env["BP_LOG_LEVEL"], "debug")
	log := NewLogger(stdout, inv.Color, debug)
	log.now = s.now
	errLog := NewLogger(stderr, inv.Color, debug)

	phase, args := inv.Phase, inv.Args
	if phase != "detect" && phase != "build" && len(args) > 0 && (args[0] == "detect" || args[0] == "build") {
		phase, args = args[0], args[1:]
	}
	fail := func(err error) Exit {
		renderError(errLog, err)
		return Exit{Code: ExitError, Err: err}
	}
	var exit Exit
	switch phase {
	case "detect":
		exit = runDetect(ctx, inv, args, log, detect)
	case "build":
		exit = runBuild(ctx, inv, args, log, build)
	default:
		return fail(&Error{
			Title:  "Unknown buildpack phase",
			Detail: fmt.Sprintf("the program was started as %q; it must be called as bin/detect or bin/build", inv.Phase),
			Fixes:  []string{"Link bin/detect and bin/build to the buildpack executable (cnbkit package does this)."},
		})
	}
	if exit.Code == ExitError && exit.Err != nil {
		renderError(errLog, exit.Err)
	}
	return exit
}

// common is what detect and build both read.
type common[M, C any] struct {
	buildpack Buildpack
	platform  Platform
	target    Target
	metadata  M
	config    C
	execEnv   string
}

// readCommon reads what detect and build share. With title, the build log's title is printed
// as soon as the descriptor is known, so that every later line (warnings too) follows it.
func readCommon[M, C any](inv Invocation, platformDir string, log *Logger, title bool) (common[M, C], error) {
	var c common[M, C]
	bpDir := inv.Env["CNB_BUILDPACK_DIR"]
	if bpDir == "" {
		return c, &Error{
			Title:  "CNB_BUILDPACK_DIR is not set",
			Detail: "the lifecycle sets CNB_BUILDPACK_DIR for every buildpack; this program was started some other way",
			Fixes:  []string{"Run the buildpack with a CNB platform such as pack, or use sdk/cnbtest in unit tests."},
		}
	}
	data, err := os.ReadFile(filepath.Join(bpDir, spec.BuildpackFile))
	if err != nil {
		return c, fmt.Errorf("reading buildpack descriptor: %w", err)
	}
	desc, err := spec.ParseBuildpack(data)
	if err != nil {
		return c, err
	}
	if err := checkAPI(desc.API); err != nil {
		return c, err
	}
	c.buildpack = Buildpack{ID: desc.Info.ID, Name: desc.Info.Name, Version: desc.Info.Version, API: desc.API, Dir: bpDir, Descriptor: desc}
	c.buildpack.Name = cmp.Or(c.buildpack.Name, desc.Info.ID)
	if title {
		log.Title(c.buildpack.Name, c.buildpack.Version)
	}
	c.metadata, err = decodeBuildpackMetadata[M](data)
	if err != nil {
		return c, err
	}
	c.platform, err = readPlatform(inv.Env, platformDir)
	if err != nil {
		return c, err
	}
	if strings.EqualFold(c.platform.Env["BP_LOG_LEVEL"], "debug") {
		log.debug = true
	}
	var fromEnv bool
	c.target, fromEnv = targetFromEnv(inv.Env)
	if !fromEnv {
		log.Debug("CNB_TARGET_OS is not set; assuming the target %s", c.target)
	}
	if spec.CompareAPI(desc.API, spec.ExecEnvAPI) >= 0 {
		c.execEnv, err = execEnvFrom(inv.Env)
		if err != nil {
			return c, err
		}
	}
	declared, err := desc.Configurations()
	if err != nil {
		return c, err
	}
	sources := map[string]configSource{}
	c.config, err = decodeConfig[C](c.platform.lookupSource, declared, sources)
	log.config = sources
	known := make([]string, 0, len(sources))
	for name := range sources {
		known = append(known, name)
	}
	for _, w := range nearMisses(c.platform.Env, known) {
		log.Warn("%s", w)
	}
	if err != nil {
		return c, &Error{Title: "Invalid configuration", Detail: err.Error(), found: err,
			Fixes: []string{"Correct the value of the variable named above, or unset it to use the default."}}
	}
	return c, nil
}

// execEnvFrom reads CNB_EXEC_ENV for a Buildpack API 0.12 buildpack: unset or empty means
// spec.DefaultExecEnv, as the spec requires.
func execEnvFrom(env map[string]string) (string, error) {
	v := env["CNB_EXEC_ENV"]
	if v == "" {
		return spec.DefaultExecEnv, nil
	}
	if err := spec.ValidateExecEnv(v); err != nil {
		return "", &Error{
			Title:  "Invalid CNB_EXEC_ENV",
			Detail: err.Error(),
			Fixes:  []string{fmt.Sprintf("Build with an execution environment such as %q, \"test\" or \"development\".", spec.DefaultExecEnv)},
		}
	}
	return v, nil
}

// checkAPI is the SDK's Buildpack API gate.
func checkAPI(api string) error {
	if spec.CompareAPI(api, MinAPI) >= 0 && spec.CompareAPI(api, MaxAPI) <= 0 && validAPISyntax(api) {
		return nil
	}
	return &Error{
		Title:  "Unsupported Buildpack API",
		Detail: fmt.Sprintf("buildpack.toml declares api = %q; the cnbkit SDK implements Buildpack API %s to %s", api, MinAPI, MaxAPI),
		Fixes:  []string{fmt.Sprintf("Set api = %q at the top of buildpack.toml.", MaxAPI)},
	}
}

func validAPISyntax(api string) bool {
	major, minor, ok := strings.Cut(api, ".")
	return ok && isDigits(major) && isDigits(minor)
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// readPlatform reads <platform>/env and the service bindings. One trailing line break of an
// env file is dropped.
func readPlatform(env map[string]string, dir string) (Platform, error) {
	p := Platform{Dir: dir, Env: map[string]string{}, process: env}
	if dir != "" {
		entries, err := os.ReadDir(filepath.Join(dir, "env"))
		if err != nil && !os.IsNotExist(err) {
			return p, fmt.Errorf("reading platform env: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			data, err := os.ReadFile(filepath.Join(dir, "env", e.Name()))
			if err != nil {
				return p, fmt.Errorf("reading platform env: %w", err)
			}
			// Files written by hand usually end with a newline that is not part of the value.
			v := strings.TrimSuffix(string(data), "\n")
			p.Env[e.Name()] = strings.TrimSuffix(v, "\r")
		}
	}
	bs, err := cnb.Bindings(env, dir)
	if err != nil {
		return p, err
	}
	for _, b := range bs {
		p.Bindings = append(p.Bindings, Binding{Name: b.Name, Type: b.Type, Provider: b.Provider, Path: b.Path, Secret: b.Secret})
	}
	return p, nil
}

// pick returns env[name] or, when empty, args[i].
func pick(env map[string]string, name string, args []string, i int) string {
	if v := env[name]; v != "" {
		return v
	}
	if i < len(args) {
		return args[i]
	}
	return ""
}

func missing(name string) error {
	return &Error{
		Title:  name + " is not set",
		Detail: "the lifecycle passes " + name + " to every buildpack of Buildpack API 0.8 or newer",
		Fixes:  []string{"Run the buildpack with a CNB platform such as pack, or use sdk/cnbtest in unit tests."},
	}
}

func runDetect[M, C any](ctx context.Context, inv Invocation, args []string, log *Logger, detect DetectFunc[M, C]) Exit {
	platformDir := pick(inv.Env, "CNB_PLATFORM_DIR", args, 0)
	planPath := pick(inv.Env, "CNB_BUILD_PLAN_PATH", args, 1)
	if planPath == "" {
		return Exit{Code: ExitError, Err: missing("CNB_BUILD_PLAN_PATH")}
	}
	c, err := readCommon[M, C](inv, platformDir, log, false)
	if err != nil {
		return Exit{Code: ExitError, Err: err}
	}
	if detect == nil {
		return Exit{Code: ExitError, Err: errors.New("the buildpack has no detect function")}
	}
	res, err := callRecovering(ctx, "detect", detect, DetectRequest[M, C]{
		App: os.DirFS(inv.AppDir), AppDir: inv.AppDir, Platform: c.platform, Target: c.target,
		Buildpack: c.buildpack, Metadata: c.metadata, Config: c.config, ExecEnv: c.execEnv, Log: log,
	})
	if err != nil {
		return Exit{Code: ExitError, Err: err}
	}
	if !res.pass {
		reason := res.reason
		if reason == "" {
			reason = "detect did not pass"
		}
		log.Detail("%s: %s", c.buildpack.Name, reason)
		return Exit{Code: ExitDetectFail, FailReason: reason}
	}
	plan, err := res.specPlan()
	if err != nil {
		return Exit{Code: ExitError, Err: fmt.Errorf("writing the build plan: %w", err)}
	}
	if err := cnb.WriteBuildPlan(planPath, plan); err != nil {
		return Exit{Code: ExitError, Err: fmt.Errorf("writing the build plan: %w", err)}
	}
	return Exit{Code: ExitPass}
}

// callRecovering calls the buildpack's detect or build function f (named by phase in the
// error), turning a panic into an error.
func callRecovering[Req, Res any](ctx context.Context, phase string, f func(context.Context, Req) (Res, error), req Req) (res Res, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%s panicked: %v", phase, r)
		}
	}()
	return f(ctx, req)
}

func runBuild[M, C any](ctx context.Context, inv Invocation, args []string, log *Logger, build BuildFunc[M, C]) Exit {
	layersDir := pick(inv.Env, "CNB_LAYERS_DIR", args, 0)
	platformDir := pick(inv.Env, "CNB_PLATFORM_DIR", args, 1)
	planPath := pick(inv.Env, "CNB_BP_PLAN_PATH", args, 2)
	switch {
	case layersDir == "":
		return Exit{Code: ExitError, Err: missing("CNB_LAYERS_DIR")}
	case planPath == "":
		return Exit{Code: ExitError, Err: missing("CNB_BP_PLAN_PATH")}
	}
	c, err := readCommon[M, C](inv, platformDir, log, true)
	if err != nil {
		return Exit{Code: ExitError, Err: err}
	}
	plan, err := readPlan(planPath)
	if err != nil {
		return Exit{Code: ExitError, Err: err}
	}
	layers, err := newLayers(layersDir, c.buildpack.API, c.buildpack.Descriptor.Info.SBOMFormats, log)
	if err != nil {
		return Exit{Code: ExitError, Err: err}
	}
	store, err := readStore(layersDir)
	if err != nil {
		return Exit{Code: ExitError, Err: err}
	}
	if build == nil {
		return Exit{Code: ExitError, Err: errors.New("the buildpack has no build function")}
	}
	res, err := callRecovering(ctx, "build", build, BuildRequest[M, C]{
		App: os.DirFS(inv.AppDir), AppDir: inv.AppDir, Platform: c.platform, Target: c.target,
		Buildpack: c.buildpack, Metadata: c.metadata, Config: c.config, ExecEnv: c.execEnv, Log: log,
		Plan: plan, Layers: layers, Store: store,
	})
	statuses := layers.statuses()
	if err != nil {
		return Exit{Code: ExitError, Err: err, Layers: statuses}
	}
	if err := layers.finish(); err != nil {
		return Exit{Code: ExitError, Err: err, Layers: statuses}
	}
	if err := writeResult(layersDir, c.buildpack.API, res); err != nil {
		return Exit{Code: ExitError, Err: fmt.Errorf("writing the build result: %w", err), Layers: statuses}
	}
	return Exit{Code: ExitPass, Layers: statuses}
}

// readPlan reads the buildpack plan file.
func readPlan(path string) (Plan, error) {
	entries, unknown, err := cnb.ReadBuildpackPlan(path)
	if err != nil {
		return Plan{}, err
	}
	if len(unknown) > 0 {
		return Plan{}, &spec.UnknownKeysError{File: filepath.Base(path), Keys: unknown}
	}
	p := Plan{Entries: make([]Require, 0, len(entries))}
	for _, e := range entries {
		p.Entries = append(p.Entries, Require{Name: e.Name, metadata: e.Metadata})
	}
	return p, nil
}
