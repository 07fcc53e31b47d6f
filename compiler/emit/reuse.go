package emit

import (
	"fmt"
	"path"
	"sync"

	"github.com/mlc-gitops/mlc/compiler"
)

// reusedFolder is a tenant's folder laid out from the index of the tree written
// before, which recorded it under the key the tenant was compiled under again: files
// [start, end) of x, its kustomization first. The files' bytes are known by their
// SHA-256 until one is wanted: the kustomization is made again from the file names,
// the others are read from the tenant's objects (compiler.Tenant.Load).
type reusedFolder struct {
	x          *index
	start, end int
	dir        string
	tenant     *compiler.Tenant
	// workloads tells which of the tenant's objects the folder holds: its workloads,
	// or the platform's objects for it.
	workloads bool

	once  sync.Once
	files []File // laid out from the tenant's objects, when first wanted
	err   error
}

// layOut fills files, the folder's places in the tree, with the paths the index
// recorded, which are the index's own strings: the index is kept (index.keep).
func (r *reusedFolder) layOut(files []File) {
	for k := range files {
		files[k] = File{Path: r.x.paths[r.start+k], reused: r, at: k}
	}
}

// bytes returns the bytes of the folder's file at k.
func (r *reusedFolder) bytes(k int) ([]byte, error) {
	if k == 0 {
		names := make([]string, 0, r.end-r.start-1)
		for j := r.start + 1; j < r.end; j++ {
			names = append(names, path.Base(r.x.paths[j]))
		}
		return kustomization(names), nil
	}
	r.once.Do(r.load)
	if r.err != nil {
		return nil, r.err
	}
	return r.files[k].bytes()
}

// load lays the folder out from the tenant's objects, which must give the files the
// index recorded.
func (r *reusedFolder) load() {
	out, err := r.tenant.Load()
	if err != nil {
		r.err = err
		return
	}
	objs := out.Platform
	if r.workloads {
		objs = out.Workloads
	}
	f := &folder{dir: r.dir, objs: objs}
	f.files = make([]File, f.size())
	f.encode()
	if r.err = f.err; r.err != nil {
		return
	}
	if len(f.files) != r.end-r.start {
		r.err = fmt.Errorf("tenant %s compiled to %d files in %s, not the %d mlc recorded; render with --no-cache", r.tenant.Name, len(f.files), r.dir, r.end-r.start)
		return
	}
	for k, file := range f.files {
		if file.Path != r.x.paths[r.start+k] {
			r.err = fmt.Errorf("tenant %s compiled to %s, not %s as mlc recorded; render with --no-cache", r.tenant.Name, file.Path, r.x.paths[r.start+k])
			return
		}
	}
	r.files = f.files
}
