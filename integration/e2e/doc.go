// Package e2e holds cnbkit's end-to-end tests: the repository's buildpacks (cnbkit/python,
// cnbkit/ffmpeg and the cnbkit/python-ffmpeg composite) packaged with cnbkit's packager,
// built into app images by the real lifecycle with the daemonless harness
// (integration/harness), and the images run.
//
// Nothing reaches the internet: CPython, the wheels and ffmpeg are the fixtures of
// integration/fixtures, served from 127.0.0.1. They reach the buildpacks the way an
// organisation with its own CPython and ffmpeg builds and its own package index would wire
// them: the dependency inventories are replaced at package time (packager.Options.Inventory,
// `cnbkit package --dependencies --dependencies-mode replace`) and pip's index is given as
// platform environment (PIP_INDEX_URL). The buildpacks have no test-only switch.
//
// The tests cover: a FastAPI app served by the image's default process on $PORT and on 8080
// by default (in a network namespace of its own), as uid 1000; an unchanged rebuild that
// reuses every layer and asks the mirror for nothing (no download, no pip); a
// requirements change that rebuilds only the virtual environment; ffmpeg on PATH at launch
// through the composite, transcoding; identical digests for two builds from clean caches
// (the FastAPI app and the ffmpeg one); and the failure paths (a requirement the index does not have, an unsupported Python
// version, a dependency whose checksum does not match) with the buildpacks' titled errors,
// each followed by a good build.
//
// They need root (namespaces and mounts) and the tools of integration/scripts/setup.sh; they
// skip without root except under CI=true, where they fail. Run them with
//
//	cd integration && go test ./e2e -v -timeout 60m
//	cd integration && go test ./e2e -v -run 'TestE2E/FastAPI'   # one part
//	cd integration && go test ./e2e -v -run 'TestTrixie'        # Debian 13, CPython 3.13
//
// TestTrixie does the same on Debian 13 (trixie) with CPython 3.13 and compiled wheels: the
// FastAPI story with pydantic 2 and its compiled pydantic-core (detect, build, serve an answer
// validated by a pydantic model, an unchanged rebuild reusing every layer, a requirements
// change rebuilding only the environment, a rebase onto a new run image), the default
// CPython (the newest the inventory lists for Debian 13, said in the log) against one asked
// for by .python-version, a Django project whose static files whitenoise serves after the
// build collected them (plain and manifest storage), and SIGTERM to PID 1 of a running
// gunicorn Procfile app and of a derived uvicorn app stopping them within 5 s.
//
// TestE2E runs on one harness (lifecycle, bookworm stack, registry) and TestTrixie on another
// (trixie stack); both share one mirror and one packaging of the buildpacks; their parts run
// one after the other, as each build uses every core.
//
// The first run builds the lifecycle, the Debian stacks and the fixtures (cached in
// $CNBKIT_IT_CACHE, see docs/integration.md); the timings of the FastAPI builds and the
// image size are printed at the end of the run.
package e2e
