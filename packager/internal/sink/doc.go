// Package sink writes buildpackage images: to a .cnb file (an uncompressed tar of an OCI
// image layout, laid out as pack writes it), to an OCI layout directory, or to a registry;
// and the buildpack folder a layer holds (WriteFolder). Files and folders are written next
// to their destination and renamed into place (atomicFile, atomicDir), so a failure leaves
// nothing half-written; registry tags are written last, after every blob and manifest is
// pushed by digest.
package sink
