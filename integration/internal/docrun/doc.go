// Package docrun runs the commands of a Markdown page the way a reader does: every ```sh
// block, in order, in one shell (so a `cd` carries over), with the files the page shows
// written where it says, and with only the substitutions the page itself tells the reader
// to make. A doc change that breaks a step fails the test that runs the page.
package docrun
