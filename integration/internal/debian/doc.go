// Package debian names the Debian releases the integration tests build images and fixtures
// from, and reaches their packages through the machine's own apt sources: the host's sources
// file with its suite names rewritten (bookworm -> trixie), so no mirror name is ever written
// by the tests, and, for another release or architecture than the host's, a private apt state
// in a directory of the caller's, so the host's apt and dpkg configuration is never changed.
package debian
