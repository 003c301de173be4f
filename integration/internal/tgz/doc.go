// Package tgz reads one file out of a gzip-compressed tar archive (an npm package, the
// lifecycle's release tarball) without unpacking the rest.
package tgz
