// Command modproxy writes a file-based module proxy (GOPROXY=file://DIR)
// serving every module of a Go workspace, as its working tree stands, at the
// version of the release being prepared.
//
// That version is the one at which go.work replaces the workspace's modules
// by their directories (docs/releasing.md); all the modules are served at it,
// and must require one another at it.
// Each module is zipped from the files git would commit (tracked files and
// untracked ones it does not ignore), by golang.org/x/mod/zip, which leaves
// out nested modules and enforces the rules of module zips. A module in a
// subdirectory that has no LICENSE gets the repository's, as the go command
// does when it zips a module from a repository.
//
// It prints one line per module, "path version dir", the root module first.
//
// Usage, from the directory of go.work:
//
//	modproxy -out DIR
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
	"golang.org/x/mod/zip"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("modproxy: ")
	out := flag.String("out", "", "directory to write the proxy into (created)")
	flag.Parse()
	if *out == "" || flag.NArg() != 0 {
		log.Fatal("usage: modproxy -out DIR")
	}
	if err := run(*out); err != nil {
		log.Fatal(err)
	}
}

type mod struct {
	path, dir string // dir as go.work writes it, relative to its directory
}

func run(out string) error {
	data, err := os.ReadFile("go.work")
	if err != nil {
		return err
	}
	work, err := modfile.ParseWork("go.work", data, nil)
	if err != nil {
		return err
	}
	var mods []mod
	for _, u := range work.Use {
		data, err := os.ReadFile(filepath.Join(u.Path, "go.mod"))
		if err != nil {
			return err
		}
		path := modfile.ModulePath(data)
		if path == "" {
			return fmt.Errorf("%s/go.mod: no module path", u.Path)
		}
		m := mod{path: path, dir: filepath.Clean(u.Path)}
		if m.dir == "." {
			mods = append([]mod{m}, mods...)
		} else {
			mods = append(mods, m)
		}
	}
	if len(mods) == 0 || mods[0].dir != "." {
		return errors.New("go.work does not use the module in its own directory")
	}
	version, err := releaseVersion(work, mods)
	if err != nil {
		return err
	}
	if err := checkRequires(mods, version); err != nil {
		return err
	}
	license, err := os.ReadFile("LICENSE")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, m := range mods {
		if err := serve(out, m, version, license); err != nil {
			return fmt.Errorf("%s: %w", m.path, err)
		}
		fmt.Println(m.path, version, m.dir)
	}
	return nil
}

// releaseVersion returns the version at which go.work replaces workspace
// modules by their own directories, which must be one and the same.
func releaseVersion(work *modfile.WorkFile, mods []mod) (string, error) {
	dirOf := map[string]string{}
	for _, m := range mods {
		dirOf[m.path] = m.dir
	}
	version := ""
	for _, r := range work.Replace {
		dir, ok := dirOf[r.Old.Path]
		if !ok {
			continue
		}
		if r.Old.Version == "" || r.New.Version != "" || filepath.Clean(r.New.Path) != dir {
			return "", fmt.Errorf("go.work: replace %s %s => %s %s: a workspace module is to be replaced at the release's version by its own directory",
				r.Old.Path, r.Old.Version, r.New.Path, r.New.Version)
		}
		if version != "" && r.Old.Version != version {
			return "", fmt.Errorf("go.work replaces workspace modules at both %s and %s: the modules are released together, at one version", version, r.Old.Version)
		}
		version = r.Old.Version
	}
	if version == "" {
		return "", errors.New("go.work replaces no workspace module at the version of the release being prepared (docs/releasing.md)")
	}
	if module.CanonicalVersion(version) != version {
		return "", fmt.Errorf("go.work: %s is not a canonical semantic version", version)
	}
	return version, nil
}

// checkRequires reports the go.mod files that require a workspace module at
// another version than the release's, or replace one: outside the workspace,
// such a requirement would resolve to another version than this tree, or not
// at all.
func checkRequires(mods []mod, version string) error {
	inWork := map[string]bool{}
	for _, m := range mods {
		inWork[m.path] = true
	}
	var errs []error
	for _, m := range mods {
		name := filepath.Join(m.dir, "go.mod")
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		f, err := modfile.Parse(name, data, nil)
		if err != nil {
			return err
		}
		for _, r := range f.Require {
			if inWork[r.Mod.Path] && r.Mod.Version != version {
				errs = append(errs, fmt.Errorf("%s:%d: requires %s %s, not %s, the version of the release being prepared",
					name, r.Syntax.Start.Line, r.Mod.Path, r.Mod.Version, version))
			}
		}
		for _, r := range f.Replace {
			if inWork[r.Old.Path] {
				errs = append(errs, fmt.Errorf("%s:%d: replaces %s, which a module outside the workspace ignores: go.work ties the modules together",
					name, r.Syntax.Start.Line, r.Old.Path))
			}
		}
	}
	return errors.Join(errs...)
}

func serve(out string, m mod, version string, license []byte) error {
	files, hasLicense, err := gitFiles(m.dir)
	if err != nil {
		return err
	}
	if !hasLicense && m.dir != "." && license != nil {
		files = append(files, dataFile{name: "LICENSE", data: license})
	}
	esc, err := module.EscapePath(m.path)
	if err != nil {
		return err
	}
	escVersion, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, filepath.FromSlash(esc), "@v")
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return err
	}
	var zipped bytes.Buffer
	if err := zip.Create(&zipped, module.Version{Path: m.path, Version: version}, files); err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(m.dir, "go.mod"))
	if err != nil {
		return err
	}
	info, err := json.Marshal(struct {
		Version string
		Time    time.Time
	}{version, time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	for name, data := range map[string][]byte{
		"list":               []byte(version + "\n"),
		escVersion + ".info": info,
		escVersion + ".mod":  gomod,
		escVersion + ".zip":  zipped.Bytes(),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o666); err != nil {
			return err
		}
	}
	return nil
}

// gitFiles lists the files under dir that git would commit: tracked files
// still present, and untracked files that .gitignore does not exclude. Files
// of nested modules are listed too; zip.Create leaves them out.
func gitFiles(dir string) (files []zip.File, hasLicense bool, err error) {
	cmd := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--deduplicate")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	list, err := cmd.Output()
	if err != nil {
		return nil, false, fmt.Errorf("git ls-files in %s: %w", dir, err)
	}
	for _, name := range strings.Split(strings.TrimSuffix(string(list), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		file := filepath.Join(dir, filepath.FromSlash(name))
		info, err := os.Lstat(file)
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted from the working tree
		}
		if err != nil {
			return nil, false, err
		}
		files = append(files, dirFile{name: name, file: file, info: info})
		if name == "LICENSE" {
			hasLicense = true
		}
	}
	return files, hasLicense, nil
}

type dirFile struct {
	name, file string
	info       fs.FileInfo
}

func (f dirFile) Path() string                 { return f.name }
func (f dirFile) Lstat() (fs.FileInfo, error)  { return f.info, nil }
func (f dirFile) Open() (io.ReadCloser, error) { return os.Open(f.file) }

type dataFile struct {
	name string
	data []byte
}

func (f dataFile) Path() string                 { return f.name }
func (f dataFile) Lstat() (fs.FileInfo, error)  { return dataInfo{f}, nil }
func (f dataFile) Open() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(f.data)), nil }

type dataInfo struct{ f dataFile }

func (i dataInfo) Name() string       { return path.Base(i.f.name) }
func (i dataInfo) Size() int64        { return int64(len(i.f.data)) }
func (i dataInfo) Mode() fs.FileMode  { return 0o644 }
func (i dataInfo) ModTime() time.Time { return time.Time{} }
func (i dataInfo) IsDir() bool        { return false }
func (i dataInfo) Sys() any           { return nil }
