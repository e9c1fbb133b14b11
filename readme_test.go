package tablestakes_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadmeQuickstart builds the README's first program as a module of
// its own, as a reader who copies it would: it must compile as printed.
func TestReadmeQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go build")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "```go\npackage main\n")
	if start < 0 {
		t.Fatal("README.md has no Go program (a ```go block starting with package main)")
	}
	program := text[start+len("```go\n"):]
	program = program[:strings.Index(program, "```")]
	dir := serviceModule(t, program)
	goCmd(t, dir, "mod", "tidy")
	goCmd(t, dir, "vet", ".")
	goCmd(t, dir, "build", "-o", filepath.Join(t.TempDir(), "quickstart"), ".")
}
