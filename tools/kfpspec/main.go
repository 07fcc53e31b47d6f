// Command kfpspec compiles the Kubeflow Pipelines IR protos
// (pipeline_spec.proto and kubernetes_executor_config.proto) into the
// FileDescriptorSet that compiler/kfpir embeds, plus its PROVENANCE.md.
//
// Run it from the repository root:
//
//	go run ./tools/kfpspec -src ../shared/kfp-spec
//
// Output is deterministic, so a rerun on the same inputs changes nothing;
// compiler/kfpir's tests fail when the embedded set is stale.
package main

import (
	"flag"
	"log"

	"github.com/mlc-gitops/mlc/tools/kfpspec/gen"
)

func main() {
	src := flag.String("src", "../shared/kfp-spec", "directory holding the upstream .proto files and their PROVENANCE.md")
	out := flag.String("out", "compiler/kfpir/spec", "directory to write the descriptor set and PROVENANCE.md into")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("kfpspec: ")
	files, err := gen.Generate(*src)
	if err != nil {
		log.Fatal(err)
	}
	if err := gen.Write(*out, files); err != nil {
		log.Fatal(err)
	}
}
