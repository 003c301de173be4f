// Package sink writes buildpackage images: to a .cnb file (an uncompressed tar of an OCI
// image layout, laid out as pack writes it), to an OCI layout directory, or to a registry.
// Files and directories are written next to their destination and renamed into place, so a
// failure leaves nothing half-written; registry tags are written last, after every blob and
// manifest is pushed by digest.
package sink
