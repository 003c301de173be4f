// Package pyversion finds which CPython version an app asks for and picks the release that
// satisfies it.
//
// Requests come from several places, in this order of priority: the BP_CPYTHON_VERSION
// setting, .python-version, runtime.txt, requires-python in pyproject.toml and the
// [requires] table of a Pipfile. Each is read into a [Specifier], a subset of the PEP 440
// version specifiers (==, !=, <, <=, >, >=, ~= and the .* wildcard), so that "3.12" means the
// newest 3.12 patch release and ">=3.11,<3.13" means the newest release in that range.
package pyversion
