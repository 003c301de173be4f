// Package ctxio has the reader and the copy that every long read of cnbkit goes through,
// so that a cancelled context (Ctrl-C) stops a copy of a large file within one buffer
// instead of at its end.
package ctxio
