// Package workdir creates the packager's temporary folders so that a later run can tell
// which ones were abandoned: the process that creates a folder holds a lock on a file
// inside it for as long as the folder is in use, and the kernel releases that lock when the
// process ends, however it ends (even killed with SIGKILL). RemoveAbandoned removes the
// folders whose lock is free.
package workdir
