// Package gen compiles the Kubeflow Pipelines IR protos into the descriptor
// set that compiler/kfpir embeds, and writes its PROVENANCE.md.
//
// It is a library rather than part of tools/kfpspec's main package so that
// compiler/kfpir's tests can regenerate the set in memory and check that the
// embedded copy is current. Nothing in the shipped binary imports it.
package gen

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bufbuild/protocompile"
	"github.com/bufbuild/protocompile/linker"
	rpcstatus "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Output file names, relative to the output directory.
const (
	DescriptorSetFile = "kfp-ir.binpb"
	ProvenanceFile    = "PROVENANCE.md"
)

// Command is how PROVENANCE.md tells a reader to regenerate the output.
const Command = "go run ./tools/kfpspec -src ../shared/kfp-spec"

// statusProto is the import path pipeline_spec.proto uses for google.rpc.Status.
const statusProto = "google/rpc/status.proto"

// Output is what Generate produces: file name to content.
type Output map[string][]byte

// source is one .proto file read from the source directory.
type source struct {
	name   string // base name, which is also its import path
	sha256 string
}

// upstreamRow is what the source directory's PROVENANCE.md records for a file.
type upstreamRow struct {
	source, commit, path, license string
}

// Generate compiles every *.proto in srcDir (with google/protobuf/* and
// google/rpc/status.proto resolved from the descriptors linked into this
// program) and returns the serialized FileDescriptorSet and PROVENANCE.md.
//
// The set holds each source file and everything it imports, dependencies
// before dependents, so protodesc.NewFiles can load it on its own. It carries
// no source code info, and is marshalled deterministically.
func Generate(srcDir string) (Output, error) {
	sources, err := readSources(srcDir)
	if err != nil {
		return nil, err
	}
	upstream, err := readUpstream(filepath.Join(srcDir, "PROVENANCE.md"))
	if err != nil {
		return nil, err
	}
	for _, s := range sources {
		if _, ok := upstream[s.name]; !ok {
			return nil, fmt.Errorf("%s: PROVENANCE.md has no row for %s", srcDir, s.name)
		}
	}

	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.name
	}
	set, err := compile(srcDir, names)
	if err != nil {
		return nil, err
	}
	data, err := proto.MarshalOptions{Deterministic: true}.Marshal(set)
	if err != nil {
		return nil, err
	}
	return Output{
		DescriptorSetFile: data,
		ProvenanceFile:    provenance(sources, upstream, set),
	}, nil
}

// Write writes out into dir, creating dir if needed.
func Write(dir string, out Output) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(out)) {
		if err := os.WriteFile(filepath.Join(dir, name), out[name], 0o644); err != nil {
			return err
		}
	}
	return nil
}

// readSources lists the *.proto files directly in dir, sorted by name.
func readSources(dir string) ([]source, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []source
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".proto") {
			continue
		}
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(raw)
		out = append(out, source{name: e.Name(), sha256: hex.EncodeToString(sum[:])})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no .proto files", dir)
	}
	return out, nil // os.ReadDir sorts by name
}

// compile links the named files and returns them with all their imports.
func compile(srcDir string, names []string) (*descriptorpb.FileDescriptorSet, error) {
	local := &protocompile.SourceResolver{ImportPaths: []string{srcDir}}
	resolver := protocompile.WithStandardImports(protocompile.ResolverFunc(func(path string) (protocompile.SearchResult, error) {
		if path == statusProto {
			return protocompile.SearchResult{Desc: rpcstatus.File_google_rpc_status_proto}, nil
		}
		return local.FindFileByPath(path)
	}))
	files, err := (&protocompile.Compiler{Resolver: resolver}).Compile(context.Background(), names...)
	if err != nil {
		return nil, err
	}

	set := &descriptorpb.FileDescriptorSet{}
	seen := map[string]bool{}
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		imports := f.Imports()
		for i := range imports.Len() {
			add(imports.Get(i).FileDescriptor)
		}
		set.File = append(set.File, fileProto(f))
	}
	for _, f := range files {
		add(f)
	}
	return set, nil
}

// fileProto returns f as a descriptor proto without source code info. For a
// file compiled from source that is the compiler's own proto, as protoc would
// write it; for an imported, already-linked file it is rebuilt from f.
func fileProto(f protoreflect.FileDescriptor) *descriptorpb.FileDescriptorProto {
	var fdp *descriptorpb.FileDescriptorProto
	if r, ok := f.(linker.Result); ok {
		fdp = proto.Clone(r.FileDescriptorProto()).(*descriptorpb.FileDescriptorProto)
	} else {
		fdp = protodesc.ToFileDescriptorProto(f)
	}
	fdp.SourceCodeInfo = nil
	return fdp
}

// readUpstream parses the markdown tables of the source PROVENANCE.md: each
// row of a table whose header has "file" and "commit" columns, keyed by file.
func readUpstream(p string) (map[string]upstreamRow, error) {
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing: the upstream source of each .proto must be recorded", p)
	}
	if err != nil {
		return nil, err
	}
	rows := map[string]upstreamRow{}
	var header []string
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if !strings.HasPrefix(line, "|") {
			header = nil
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.Trim(strings.TrimSpace(cells[i]), "`")
		}
		if header == nil {
			header = cells
			continue
		}
		if strings.Trim(strings.Join(cells, ""), "-: ") == "" {
			continue // the |---|---| line
		}
		col := func(name string) string {
			for i, h := range header {
				if strings.EqualFold(h, name) && i < len(cells) {
					return cells[i]
				}
			}
			return ""
		}
		if f := col("file"); f != "" && col("commit") != "" {
			rows[f] = upstreamRow{source: col("source"), commit: col("commit"), path: col("original path"), license: col("license")}
		}
	}
	return rows, sc.Err()
}

// provenance renders PROVENANCE.md for the generated set.
func provenance(sources []source, upstream map[string]upstreamRow, set *descriptorpb.FileDescriptorSet) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Kubeflow Pipelines IR descriptor set\n\n")
	fmt.Fprintf(&b, "`%s` is a serialized `google.protobuf.FileDescriptorSet` (binary, deterministic marshal, no source\n", DescriptorSetFile)
	fmt.Fprintf(&b, "code info) compiled by tools/kfpspec with github.com/bufbuild/protocompile from the upstream KFP protos\n")
	fmt.Fprintf(&b, "below. It holds every file they import too, dependencies first. compiler/kfpir embeds it; nothing\n")
	fmt.Fprintf(&b, "reads the .proto files at run time. Do not edit: regenerate from the repository root with\n\n")
	fmt.Fprintf(&b, "    %s\n\n", Command)
	fmt.Fprintf(&b, "## Sources\n\n")
	fmt.Fprintf(&b, "| file | source | commit | original path | license | sha256 |\n")
	fmt.Fprintf(&b, "| --- | --- | --- | --- | --- | --- |\n")
	for _, s := range sources {
		u := upstream[s.name]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", s.name, u.source, u.commit, u.path, u.license, s.sha256)
	}
	fmt.Fprintf(&b, "\n## Imports\n\n")
	fmt.Fprintf(&b, "Not read from source; taken from the descriptors that these Go modules register (versions pinned in go.mod).\n\n")
	fmt.Fprintf(&b, "| file | from |\n| --- | --- |\n")
	local := map[string]bool{}
	for _, s := range sources {
		local[s.name] = true
	}
	for _, f := range set.File {
		switch name := f.GetName(); {
		case local[name]:
		case name == statusProto:
			fmt.Fprintf(&b, "| %s | google.golang.org/genproto/googleapis/rpc/status |\n", name)
		default:
			fmt.Fprintf(&b, "| %s | google.golang.org/protobuf (well-known types) |\n", name)
		}
	}
	return b.Bytes()
}
