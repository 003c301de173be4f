// Package packagertest proves that what `cnbkit package` writes is read by the real tools:
// pack v0.40.6 (built from the Go module proxy at test time, outside this module's graph)
// inspects it, uses a .cnb as a dependency of its own composite and puts published packages
// into a builder; the real lifecycle's detector finds the buildpacks of an unpacked package;
// Debian's docker-registry accepts published packages, also through a connection that fails
// mid-upload, and refuses wrong credentials with a clear error.
//
// Needs: root, the go command, setpriv (util-linux), and Debian's docker-registry and
// apache2-utils (htpasswd) packages. Under CI=true a missing tool fails the test.
package packagertest
