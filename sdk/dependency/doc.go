// Package dependency installs the software a buildpack declares in buildpack.toml: it
// decodes and validates the inventory, resolves a version constraint for the build target,
// fetches the artifact with retries and sha256 verification (from the buildpack's own
// bundle, a download cache, a dependency-mapping binding, a mirror or the original uri),
// extracts it safely into a layer that is reused while the checksum is unchanged, warns about
// deprecated versions, and writes CycloneDX and SPDX SBOM entries.
//
// # Inventory
//
// Each [[metadata.dependencies]] table of buildpack.toml is one artifact:
//
//	[[metadata.dependencies]]
//	id = "cpython"                      # required; what Resolve looks up
//	name = "CPython"                    # shown to people; id when absent
//	version = "3.12.7"                  # required; a semantic version
//	uri = "https://example.org/cpython-3.12.7-x86_64-linux.tar.gz"   # https://, http:// or file://
//	checksum = "sha256:<64 hex digits>" # required; the older sha256 = "<hex>" is accepted too
//	os = "linux"                        # target: os, arch, variant, distros; absent = any
//	arch = "amd64"
//	distros = [{ name = "ubuntu", version = "24.04" }]
//	strip-components = 1                # leading path components dropped on extraction
//	size = 31457280                     # optional; the artifact's bytes: a download stops there
//	purl = "pkg:generic/cpython@3.12.7"
//	cpes = ["cpe:2.3:a:python:python:3.12.7:*:*:*:*:*:*:*"]
//	licenses = ["PSF-2.0"]              # or [{ type = "PSF-2.0", uri = "..." }]
//	source = "https://example.org/Python-3.12.7.tgz"
//	source-checksum = "sha256:<hex>"
//	deprecation-date = 2028-10-31       # warnings start 30 days ahead
//
// Paketo's spellings sha256, source-sha256, deprecation_date, eol-date, arch-variant and
// stacks (kept, but unused for resolution) are read too. Unknown keys, bad checksums, missing
// uris, unparsable versions or targets and duplicate id+version+target entries are reported
// together in one *InvalidError. Run Check from a unit test so mistakes fail `go test`:
//
//	func TestInventory(t *testing.T) {
//		if err := dependency.Check(".."); err != nil {
//			t.Fatal(err)
//		}
//	}
//
// A standalone inventory file has the same tables at the top level ([[dependencies]]).
// The packager reads one with ReadFile, combines it with the buildpack's own with
// Merge(base, override, Replace or Extend) and writes the result with WithInventory, so an
// organisation can point a buildpack at its own builds (e.g. an internally hosted CPython).
// Replace drops every base entry of an id the override mentions; Extend adds the override's
// entries, which win over base entries with the same id, version and target.
//
// # Resolution
//
// Inventory.Resolve(id, constraint, target) returns the highest version of id that matches
// constraint ("3.12", "3.12.*", "~3.12", ">=3.11,<3.14", an exact version, or "" for any)
// among the entries whose target matches the build target (req.Target.Spec(): the
// CNB_TARGET_* values, not the architecture the buildpack binary was compiled for). An entry
// naming a distro beats an otherwise equal one that does not. No match is a *NoMatchError
// listing the versions available for that target.
//
// # Fetching, mirrors and air gaps
//
// Fetcher.Fetch looks, in order, in
//
//  1. the bundle directories (BundleDirs, <buildpack>/dependencies for NewFetcher),
//  2. the download cache (CacheDir; Install uses a cache layer),
//  3. the uri of a dependency-mapping binding for the checksum (each key of a binding of type
//     dependency-mapping is a sha256, bare or "sha256:"-prefixed, and its value a uri),
//  4. the uri rewritten by a mirror: BP_DEPENDENCY_MIRROR_<HOST> for the uri's host (upper
//     case, "." as "_", "-" as "__", e.g. BP_DEPENDENCY_MIRROR_RELEASES_EXAMPLE_COM), else
//     BP_DEPENDENCY_MIRROR, else a dependency-mirror binding (keys "default" or a host). A
//     mirror is an https://, http:// or file:// URL; {originalHost} in it is replaced by the
//     uri's host and the uri's path is appended; ",skip-path=/prefix" drops a prefix of
//     the original path first,
//  5. the inventory uri itself.
//
// file:// artifacts are verified and read in place. Downloads have a header timeout
// (HeaderTimeout, 30s) and an idle timeout (IdleTimeout, 60s) rather than a total one, and
// are retried with exponential backoff (Attempts, 4; Backoff, 1s doubling up to 30s; a
// Retry-After header is honoured) on 5xx, 408, 429, connection errors, timeouts and truncated
// bodies. Redirects are followed; headers an Authorize hook adds never go to another
// scheme, host or port than the uri's. A download stops at the size the inventory entry
// declares (size), else at Fetcher.MaxSize (DefaultMaxSize, 4 GiB), with a *TooLargeError;
// a Content-Length over the cap stops it before the body. Bytes are hashed as they stream
// to a temporary directory that is renamed into place only when the sha256 matches; a
// mismatch is a *ChecksumError naming both checksums, never retried, and nothing is left
// behind. A cache entry that no longer matches is discarded and fetched again.
//
// # Offline layout
//
// Dependencies bundled inside a buildpack (cnbkit package --include-dependencies calls
// Bundle for each) and the download cache share one layout:
//
//	<buildpack>/dependencies/<sha256-hex>/<file name>   the artifact, named after the last element of its uri
//	<buildpack>/dependencies/<sha256-hex>.toml          the inventory entry (same keys), written last
//
// <sha256-hex> is the 64 lower-case hex digits without the "sha256:" prefix, whichever
// checksum form the inventory uses, so entries written with checksum = "sha256:..." and with
// sha256 = "..." find the same files. An entry counts only when its .toml exists and its
// directory holds exactly one regular file; bundled files are verified before use. Bundle
// writes an entry atomically (temporary directory, rename, then the .toml) and keeps an
// existing one after verifying it; BundlePath tells where an artifact goes.
//
// # Extraction
//
// Extract and Install unpack tar archives (uncompressed, gzip, xz, zstd or bzip2, detected
// from their content), zip archives, or a single file (a compressed single file loses its
// .gz/.xz/.zst/.bz2 suffix) that becomes an executable named after the uri. strip-components
// drops leading path components ("./" does not count as one). Absolute paths, "..",
// symlinks that are absolute or climb out of the destination (or climb after descending),
// symlinks placed under a symlinked directory, hard links to anything but an earlier regular
// file of the archive, devices and fifos are refused with an error naming the entry; writes
// go through an os.Root so nothing outside the destination can be touched. Permission bits
// (executable bits included) and modification times are kept, set-id bits are not. Archives
// that expand beyond 16 GiB, 1,000,000 entries or a 1000:1 ratio are refused.
//
// # Install
//
// Install(ctx, req, layerName, kind, dep, opts) opens a typed layer whose metadata is the
// dependency's id, version, target and sha256; kind is an sdk.Needs saying who reads it (or
// sdk.LayerTypes). A previous layer with the same sha256 is kept as is: no network, no
// extraction; needed at launch only (sdk.Needs{Launch: true}) it is kept by its metadata
// alone, without its files. Otherwise the artifact is fetched (via NewFetcher from the
// platform and buildpack unless opts.Fetcher is set), verified and extracted into the emptied
// layer. The Result says whether the layer was reused and why, and where the artifact came
// from. Failures are *sdk.Error values with a title, the value found and what to do: checksum
// mismatch, download failed (with the mirror and air-gap options), unsafe archive, invalid
// mirror.
//
// Refill puts the files of a layer kept without them back, for a build that needs them after
// all (CPython, to rebuild a virtual environment): the same artifact from the bundle, from
// the cache layer "<layerName>-download" where Install keeps it with opts.KeepArtifact (one
// compressed file, which the lifecycle restores and caches on every build), or from the
// network. A layer the lifecycle never brings back (build or not launch, without cache) keeps
// its download there whatever KeepArtifact says. Stash keeps any folder a buildpack needs only
// when something changed (a package manager's cache) packed into one file in a cache layer.
//
// Install logs a warning from 30 days before a dependency's deprecation date, and after it,
// naming the version, the date and newer versions to move to (see Notice), and writes
// <layers>/<layer>.sbom.cdx.json and .spdx.json with the dependency's name, version, purl,
// cpes, licences and sha256 for the formats buildpack.toml lists in sbom-formats, so
// `pack sbom download` shows them. Package sbom renders such documents for any list of
// components.
package dependency
