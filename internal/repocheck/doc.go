// Package repocheck holds tests of the repository as a whole: nothing in it refers to files
// outside it, and the relative links of its Markdown pages lead to files that exist.
package repocheck
