package load

import (
	"testing"
	"time"

	"github.com/mlc-gitops/mlc/compiler/synth"
)

// fleetIndex writes the synthetic fleet of 1,000 tenants (5,000 files in 1,000
// folders) and returns its repository and its index as a warm render finds it: taken
// well after the files were written, so that it vouches for them.
func fleetIndex(b *testing.B) (*Repository, *FileIndex) {
	b.Helper()
	dir := b.TempDir()
	if err := synth.Write(dir, synth.ForWorkloads(1000, 10)); err != nil {
		b.Fatal(err)
	}
	repo, err := FindIndexed(dir, nil)
	if err != nil {
		b.Fatal(err)
	}
	e, err := readIndexed(repo, nil)
	if err != nil {
		b.Fatal(err)
	}
	x := e.Index()
	x.Stamp = time.Now().Add(time.Minute).UnixNano()
	return repo, x
}

// warmFleet is fleetIndex's repository found again with its index, as a warm render
// finds it, and its files read.
func warmFleet(b *testing.B) (*Repository, *FileIndex, *Evaluator) {
	b.Helper()
	repo, prior := fleetIndex(b)
	repo, err := FindIndexed(repo.Root, prior)
	if err != nil {
		b.Fatal(err)
	}
	e, err := readIndexed(repo, prior)
	if err != nil {
		b.Fatal(err)
	}
	return repo, prior, e
}

// readIndexed reads the repository's files as NewIndexedEvaluator does, without the
// worker it builds meanwhile to evaluate them.
func readIndexed(repo *Repository, prior *FileIndex) (*Evaluator, error) {
	e := &Evaluator{repo: repo, indexed: true}
	if err := e.readSources(prior); err != nil {
		return nil, err
	}
	return e, e.Wait()
}

// BenchmarkFileIndexMarshal encodes the index of 1,000 tenants' files.
func BenchmarkFileIndexMarshal(b *testing.B) {
	_, x := fleetIndex(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := x.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFileIndexUnmarshal decodes the index of 1,000 tenants' files.
func BenchmarkFileIndexUnmarshal(b *testing.B) {
	_, x := fleetIndex(b)
	enc, err := x.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var y FileIndex
		if err := y.UnmarshalBinary(enc); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEvaluatorIndex makes the index of 1,000 tenants' files from what a warm
// evaluator found, and encodes it, as a render saves it.
func BenchmarkEvaluatorIndex(b *testing.B) {
	_, _, e := warmFleet(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Index().MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindIndexed lists the 1,000 tenant folders as a warm render does: each is
// stat'ed, and none listed again.
func BenchmarkFindIndexed(b *testing.B) {
	repo, prior := fleetIndex(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := FindIndexed(repo.Root, prior); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadSources looks at the 5,000 files as a warm render does: the platform
// files are read, the tenants' files stat'ed and vouched for by the index.
func BenchmarkReadSources(b *testing.B) {
	repo, prior, _ := warmFleet(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readIndexed(repo, prior); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSums looks up the sum of each of the 5,000 files, as a compilation does for
// the cache's keys.
func BenchmarkSums(b *testing.B) {
	repo, _, e := warmFleet(b)
	b.ReportAllocs()
	for b.Loop() {
		for _, t := range repo.Tenants {
			for _, f := range t.Files {
				if _, ok := e.Sum(f); !ok {
					b.Fatal(f)
				}
			}
		}
	}
}
