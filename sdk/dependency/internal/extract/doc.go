// Package extract unpacks dependency artifacts (tar with gzip, xz, zstd or bzip2
// compression, zip, or a single possibly compressed executable) into a directory, refusing
// anything that would write outside it.
package extract
