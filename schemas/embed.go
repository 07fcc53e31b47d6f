// Package schemas embeds the CUE definitions that every platform repository is checked
// against (see the .cue files in this directory).
package schemas

import "embed"

// ImportPath is the CUE import path of the schemas, for users who import them explicitly
// (editors, plain `cue vet`); mlc resolves it to the embedded copy.
const ImportPath = "github.com/mlc-gitops/mlc/schemas"

// Files holds the schema sources.
//
//go:embed *.cue
var Files embed.FS
