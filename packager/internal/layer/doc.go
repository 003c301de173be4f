// Package layer writes the one layer of a buildpackage that holds one buildpack: a
// reproducible tar of its files under /cnb/buildpacks/<id>/<version>/, gzip-compressed to a
// file, exposed as a go-containerregistry v1.Layer.
//
// The tar follows the format pack writes: the two directory entries of the buildpack first,
// absolute names, uid and gid 0 without user or group names, modification time
// 1980-01-01T00:00:01Z, directories and executables 0755, bin/build, bin/detect and
// bin/generate 0755, everything else 0644. Symbolic links are kept.
package layer
