// Package pip decides what an app's dependencies are (requirements files, a PEP 621
// pyproject.toml, a vendored wheel folder), fingerprints them so that an unchanged
// environment can be reused, and installs them with pip into a virtual environment.
//
// pip itself lives outside the environment it installs into: [Installer.PreparePip] unpacks
// the pip wheel bundled with the interpreter into a folder of its own (a build-time cache
// layer), and [Installer.Install] runs "<venv>/bin/python -m pip install ..." with that folder
// on PYTHONPATH, so the app's environment (and the image it ends up in) holds only the app's
// distributions.
package pip
