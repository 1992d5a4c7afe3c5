package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMEShowsThisProgram holds the README's embedding snippet to the
// body of main, so that the snippet compiles and stays what it shows.
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(readme), "## Embedding")
	if !ok {
		t.Fatal(`README.md has no "## Embedding" section`)
	}
	_, after, ok = strings.Cut(after, "```go\n")
	snippet, _, ok2 := strings.Cut(after, "```")
	if !ok || !ok2 {
		t.Fatal("README.md's Embedding section has no Go snippet")
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(src), "func main() {\n")
	body, _, _ = strings.Cut(body, "\n}\n")
	var lines []string
	for _, l := range strings.Split(body, "\n") {
		lines = append(lines, strings.TrimPrefix(l, "\t"))
	}
	if diff := cmp.Diff(strings.Join(lines, "\n")+"\n", snippet); diff != "" {
		t.Errorf("README.md's Embedding snippet differs from main's body (-main +README):\n%s", diff)
	}
}
