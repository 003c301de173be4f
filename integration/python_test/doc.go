// Package pythontest holds the end-to-end tests of the cnbkit Python buildpack: its real
// build runs in-process (sdk/cnbtest) against a real relocatable CPython and real wheels
// served from 127.0.0.1 (integration/fixtures, built from Debian packages at test time), pip
// really installs, and the web process the build chose really starts and answers HTTP.
//
// It also holds the benchmarks of issue 5: an unchanged rebuild against a cold build and
// against plain "python -m venv && pip install" from the same index:
//
//	go test ./python_test -run '^$' -bench . -benchtime 3x
//
// Fixtures need apt-get, dpkg-deb and patchelf (integration/scripts/setup.sh). Without them
// the tests skip, except under CI=true, where they fail.
package pythontest
