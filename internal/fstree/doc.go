// Package fstree copies a folder tree on disk, keeping symbolic links as links and the
// permission bits of files and folders: the one tree copier of cnbkit, its test kit
// (sdk/cnbtest) and the end-to-end harness.
package fstree
