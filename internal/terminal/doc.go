// Package terminal tells whether a stream is a terminal, with go-isatty (Cygwin and MSYS
// terminals included): the one test cnbkit and the SDK use to decide on colour, progress
// and prompts.
package terminal
