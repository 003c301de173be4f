// Package pip decides what an app's dependencies are (requirements files, a PEP 621
// pyproject.toml, a lock file, a vendored wheel folder), refuses what it cannot install
// (other tools' files, network sources in an offline install), fingerprints the inputs so
// that an unchanged environment can be reused, installs them with pip into a virtual
// environment, and reads pip's failures ([Diagnose]).
//
// pip itself lives outside the environment it installs into: [Installer.PreparePip] unpacks
// the pip wheel bundled with the interpreter into a folder of its own (a build-time cache
// layer), and [Installer.Install] runs "<venv>/bin/python -P -s -m pip install ..." with that
// folder on PYTHONPATH, so the app's environment (and the image it ends up in) holds only the
// app's distributions. pip and every helper run isolated from the app: -P keeps the app folder
// off sys.path and [Environ] leaves out the platform's PYTHON* variables.
package pip
