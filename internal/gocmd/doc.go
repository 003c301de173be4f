// Package gocmd finds the go command: the one place cnbkit, its tests and the end-to-end
// harness look for it (packager compiles Go buildpacks with it, tests build programs).
package gocmd
