package gen

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/types/descriptorpb"
)

const aProto = `syntax = "proto3";
package demo;
import "google/protobuf/struct.proto";
import "google/rpc/status.proto";
message A {
  google.protobuf.Struct config = 1;
  google.rpc.Status error = 2;
}
`

const bProto = `syntax = "proto3";
package demo.b;
import "a.proto";
message B { demo.A a = 1; }
`

const upstreamProvenance = `# protos

| file | source | commit | original path | license |
| --- | --- | --- | --- | --- |
| a.proto | example/a | 0123abc (2026-01-01) | proto/a.proto | Apache-2.0 |
| ` + "`b.proto`" + ` | example/b | 4567def | proto/b.proto | MIT |
`

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestGenerate(t *testing.T) {
	dir := writeDir(t, map[string]string{"a.proto": aProto, "b.proto": bProto, "PROVENANCE.md": upstreamProvenance, "notes.txt": "ignored"})
	out, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}

	var set descriptorpb.FileDescriptorSet
	if err := proto.Unmarshal(out[DescriptorSetFile], &set); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range set.File {
		names = append(names, f.GetName())
		if f.SourceCodeInfo != nil {
			t.Errorf("%s carries source code info", f.GetName())
		}
	}
	want := "google/protobuf/struct.proto google/protobuf/any.proto google/rpc/status.proto a.proto b.proto"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("files = %s\nwant    %s", got, want)
	}
	files, err := protodesc.NewFiles(&set)
	if err != nil {
		t.Fatalf("the set does not load on its own: %v", err)
	}
	if _, err := files.FindDescriptorByName("demo.b.B"); err != nil {
		t.Error(err)
	}

	again, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	for name := range out {
		if !bytes.Equal(out[name], again[name]) {
			t.Errorf("%s differs between two runs", name)
		}
	}

	prov := string(out[ProvenanceFile])
	sum := sha256.Sum256([]byte(aProto))
	for _, s := range []string{
		Command,
		"| a.proto | example/a | 0123abc (2026-01-01) | proto/a.proto | Apache-2.0 | " + hex.EncodeToString(sum[:]) + " |",
		"| b.proto | example/b | 4567def | proto/b.proto | MIT |",
		"| google/rpc/status.proto | google.golang.org/genproto/googleapis/rpc/status |",
	} {
		if !strings.Contains(prov, s) {
			t.Errorf("PROVENANCE.md lacks %q:\n%s", s, prov)
		}
	}
}

func TestGenerateErrors(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"no protos":            {"PROVENANCE.md": upstreamProvenance},
		"no PROVENANCE.md":     {"a.proto": aProto},
		"proto not recorded":   {"a.proto": aProto, "c.proto": `syntax = "proto3"; package c;`, "PROVENANCE.md": upstreamProvenance},
		"proto does not parse": {"a.proto": "syntax = \"proto3\";\nmessage {", "PROVENANCE.md": upstreamProvenance},
		"unresolved import":    {"a.proto": "syntax = \"proto3\";\nimport \"nope.proto\";", "PROVENANCE.md": upstreamProvenance},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Generate(writeDir(t, files)); err == nil {
				t.Fatal("no error")
			} else {
				t.Log(err)
			}
		})
	}
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "spec")
	if err := Write(dir, Output{"x": []byte("1"), "y": []byte("2")}); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"x": "1", "y": "2"} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", name, got, err, want)
		}
	}
}
