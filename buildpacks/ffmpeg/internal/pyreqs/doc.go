// Package pyreqs finds the Python distributions an application declares as runtime
// requirements: requirements*.txt files (with -r includes), pyproject.toml ([project]
// dependencies and Poetry's [tool.poetry.dependencies]) and Pipfile [packages].
//
// It reads files only; it never runs Python or pip. Names are normalised as PEP 503 says
// (lower case, runs of "-", "_" and "." become "-"), so "FFmpeg_Python" and "ffmpeg-python"
// are the same distribution. Environment markers are evaluated for a Linux build: a
// requirement marked `; sys_platform == "win32"` is not a requirement on Linux.
package pyreqs
