// Package apps holds the source of the sample apps that more than one integration test package
// builds (the end-to-end tests with the harness, the walkthrough with pack and a Dockerfile):
// file contents by slash-separated path, and what the app answers.
package apps
