//go:build !unix

package load

// openNonBlocking is 0 where named pipes do not block an open.
const openNonBlocking = 0
