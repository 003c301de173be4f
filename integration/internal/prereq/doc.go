// Package prereq checks what an integration test needs from the machine (root, tools on
// PATH) and stops the test the same way in every integration package when something is
// missing: a skip where the prerequisite cannot exist on this machine, a failure under
// CI=true, where integration/scripts/setup.sh provides everything.
package prereq
