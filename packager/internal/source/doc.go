// Package source opens existing buildpackages without a daemon: a .cnb file (an
// uncompressed tar of an OCI image layout), an OCI layout directory, or an image reference in
// a registry. Each gives the images it holds with their platforms, and picks the one for a
// build target. Blobs of .cnb files are read in place, never extracted.
package source
