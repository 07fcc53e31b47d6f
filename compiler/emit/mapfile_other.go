//go:build !unix

package emit

import "os"

// mapFile maps nothing here: the file is read instead.
func mapFile(*os.File, int) ([]byte, func(), bool) { return nil, nil, false }
