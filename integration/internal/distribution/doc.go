// Package distribution runs Debian's docker-registry (the CNCF distribution registry) on
// 127.0.0.1 for a test, so that packages are pushed to and read from a real registry server.
package distribution
