// Package format holds the buildpackage image format as pack v0.38–v0.40 writes and reads it:
// the io.buildpacks.buildpackage.metadata and io.buildpacks.buildpack.layers labels with
// pack's JSON field names and order, and the image assembled from one layer per buildpack
// with OCI media types and a config carrying os, architecture, variant and os.version.
package format
