// Package selection decides which files of a buildpack directory go into its package.
//
// Rules are gitignore-like patterns matched against the slash path relative to the
// buildpack directory: a pattern without '/' matches a name at any depth, a pattern with '/'
// matches the path from the root, a trailing '/' matches directories only, and a leading '!'
// includes what an earlier rule excluded. The last matching rule wins. An excluded directory
// is skipped as a whole unless a later rule includes it. Patterns use path.Match syntax.
//
// [Defaults] come first, then the lines of the directory's .cnbignore file, then the
// caller's own rules. Directories left without any selected file are dropped.
package selection
