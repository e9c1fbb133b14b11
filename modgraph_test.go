package tablestakes_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestModuleGraph builds a module that imports only repository and sync,
// as a service does, and checks that its module graph holds none of the
// container stack that ddbtest/containers brings: testcontainers, Docker's
// client, moby.
func TestModuleGraph(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go mod tidy")
	}
	dir := serviceModule(t, `package main

import (
	"fmt"

	"github.com/tablestakes/tablestakes/repository"
	tssync "github.com/tablestakes/tablestakes/sync"
)

func main() { fmt.Println(repository.ErrNotFound, tssync.ErrNotAChange) }
`)
	goCmd(t, dir, "mod", "tidy")
	graph := goCmd(t, dir, "list", "-m", "all")
	for _, line := range strings.Split(graph, "\n") {
		for _, banned := range []string{"testcontainers", "docker", "moby", "containerd", "gopsutil", "go-ole"} {
			if strings.Contains(line, banned) {
				t.Errorf("the module graph of a service importing repository and sync holds %q", line)
			}
		}
	}
	t.Logf("%d modules in the graph", strings.Count(strings.TrimSpace(graph), "\n")+1)
}

// serviceModule writes a module of one main.go holding program, which
// requires this repository's module by a replace directive, and returns
// its directory.
func serviceModule(t *testing.T, program string) string {
	t.Helper()
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/service\n\ngo 1.25.0\n\nrequire github.com/tablestakes/tablestakes v0.0.0\n\n" +
			"replace github.com/tablestakes/tablestakes => " + root + "\n",
		"main.go": program,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goCmd runs the go command in dir, outside any workspace, and returns
// its output; it fails t when the command fails.
func goCmd(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
