// Package diskcache keeps directories that the integration tests build once and share
// between test binaries (the lifecycle, base images, pack, fixtures): an entry is built in
// a temporary directory beside it and renamed into place, so it is complete or absent, and
// a file lock next to it makes the processes that want the same entry wait for one build.
package diskcache
