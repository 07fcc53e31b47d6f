// Package platform embeds the platform defaults (defaults.cue) that mlc unifies under every
// platform repository.
package platform

import "embed"

// Files holds the default platform sources.
//
//go:embed *.cue
var Files embed.FS
