//go:build !unix

package emit

// openFlags: see open_unix.go; sameFile's mode check refuses what is not a file.
const openFlags = 0
