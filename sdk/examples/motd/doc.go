// Package motd is an example buildpack written on the cnbkit SDK, the way a buildpack author
// would write one. It passes detection when the app has a motd.txt, renders it (plain or as a
// banner) into a cached launch layer, puts a motd command on the PATH and makes it the default
// process. Its unit tests (motd_test.go) use sdk/cnbtest for pass, fail, error, layer reuse
// and a cache miss with its reason.
//
// cmd/motd is the executable; bin/detect and bin/build both point to it.
package motd
