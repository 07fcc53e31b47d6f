// Package artifact packs rendered trees as OCI artifacts in Flux's format and pushes them
// to a registry: one artifact for a cluster's platform objects and one per tenant.
package artifact

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The media types and annotations of `flux push artifact` (github.com/fluxcd/pkg/oci),
// which Flux's OCIRepository reads.
const (
	ConfigMediaType  types.MediaType = "application/vnd.cncf.flux.config.v1+json"
	ContentMediaType types.MediaType = "application/vnd.cncf.flux.content.v1.tar+gzip"

	CreatedAnnotation  = "org.opencontainers.image.created"
	SourceAnnotation   = "org.opencontainers.image.source"
	RevisionAnnotation = "org.opencontainers.image.revision"
)

// File is one file of an artifact, its path relative to the artifact's root.
type File struct {
	Path string
	Data []byte
}

// Metadata describes where an artifact comes from.
type Metadata struct {
	// Source is the URL of the repository the artifact was rendered from.
	Source string
	// Revision is "<branch>@sha1:<commit>", as Flux shows it.
	Revision string
	// Created is when the inputs last changed: the commit time, never the clock.
	Created time.Time
}

// epoch is the time of every tar entry: contents, not clocks, make the digest.
var epoch = time.Unix(0, 0).UTC()

// Pack builds the artifact of files. The same files and metadata always give the same
// digest: entries are sorted, owners and times are fixed, and gzip writes no name or time.
func Pack(files []File, meta Metadata) (v1.Image, error) {
	blob, err := tarGzip(files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(blob)), nil
	}, tarball.WithMediaType(ContentMediaType))
	if err != nil {
		return nil, err
	}
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, ConfigMediaType)
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer})
	if err != nil {
		return nil, err
	}
	created := meta.Created.UTC()
	img, err = mutate.CreatedAt(img, v1.Time{Time: created})
	if err != nil {
		return nil, err
	}
	img = mutate.Annotations(img, map[string]string{
		CreatedAnnotation:  created.Format(time.RFC3339),
		SourceAnnotation:   meta.Source,
		RevisionAnnotation: meta.Revision,
	}).(v1.Image)
	return img, nil
}

// tarGzip writes files, and the directories that hold them, as a gzipped tar.
func tarGzip(files []File) ([]byte, error) {
	sorted := slices.Clone(files)
	slices.SortFunc(sorted, func(a, b File) int { return strings.Compare(a.Path, b.Path) })
	var buf bytes.Buffer
	gz, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(gz)
	dirs := map[string]bool{}
	for _, f := range sorted {
		for _, d := range parents(f.Path) {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return nil, err
			}
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: f.Path, Mode: 0o644, Size: int64(len(f.Data)), ModTime: epoch, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// parents lists the directories above p, outermost first.
func parents(p string) []string {
	var out []string
	for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
		out = append([]string{d}, out...)
	}
	return out
}
