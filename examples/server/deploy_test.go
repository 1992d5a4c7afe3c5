package main

// The files of examples/deploy build and run this package. Without Docker
// or systemd at hand, these tests check what the files say: the package
// they build, the variables they set, the keys of the unit.

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

const (
	repoRoot  = "../.."
	deployDir = "../deploy"
)

// readDeploy returns the text of a file of examples/deploy.
func readDeploy(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// knownVariables returns every variable the server and its reconcile
// command read.
func knownVariables(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{envAnedotSecrets: true, envClientUUID: true, envClientSecret: true, envAPIURL: true, envAPIBudget: true}
	for _, f := range fields {
		known[f.env] = true
	}
	for _, command := range [][]string{nil, {"reconcile"}} {
		for name := range flagsIn(helpOf(t, command...)) {
			known[envName(name)] = true
		}
	}
	return known
}

// A dockerInstruction is an instruction of a Dockerfile: its keyword, in
// upper case, and its arguments, continuation lines joined.
type dockerInstruction struct {
	keyword, args string
}

// dockerInstructions returns the instructions of a Dockerfile.
func dockerInstructions(text string) []dockerInstruction {
	var ins []dockerInstruction
	var line strings.Builder
	for raw := range strings.Lines(text) {
		raw = strings.TrimSpace(raw)
		if strings.HasPrefix(raw, "#") || raw == "" && line.Len() == 0 {
			continue
		}
		if rest, ok := strings.CutSuffix(raw, `\`); ok {
			line.WriteString(rest + " ")
			continue
		}
		line.WriteString(raw)
		keyword, args, _ := strings.Cut(strings.TrimSpace(line.String()), " ")
		ins = append(ins, dockerInstruction{strings.ToUpper(keyword), strings.TrimSpace(args)})
		line.Reset()
	}
	return ins
}

// only returns the arguments of the one instruction of ins with keyword,
// in the last stage.
func only(t *testing.T, ins []dockerInstruction, keyword string) string {
	t.Helper()
	var found []string
	for _, in := range ins {
		switch in.keyword {
		case "FROM":
			found = nil
		case keyword:
			found = append(found, in.args)
		}
	}
	if len(found) != 1 {
		t.Fatalf("the final stage has %d %s instructions %q, want 1", len(found), keyword, found)
	}
	return found[0]
}

func TestDockerfileBuildsThisPackage(t *testing.T) {
	ins := dockerInstructions(readDeploy(t, "Dockerfile"))
	var froms, builds []string
	for _, in := range ins {
		switch {
		case in.keyword == "FROM":
			froms = append(froms, in.args)
		case in.keyword == "RUN" && strings.Contains(in.args, "go build"):
			builds = append(builds, in.args)
		}
	}
	if len(froms) != 2 || !strings.HasPrefix(froms[0], "golang:1.26 ") ||
		!strings.Contains(froms[1], "distroless/static") && froms[1] != "scratch" {
		t.Fatalf("stages %q: want golang:1.26, then distroless/static or scratch", froms)
	}
	if len(builds) != 1 {
		t.Fatalf("go build runs %d times: %q", len(builds), builds)
	}
	args := strings.Fields(builds[0])
	if args[0] != "CGO_ENABLED=0" {
		t.Errorf("the build %q does not begin with CGO_ENABLED=0", builds[0])
	}
	// The package built, from the root of the repository, is this one.
	pkg, _ := filepath.Abs(filepath.Join(repoRoot, args[len(args)-1]))
	if here, _ := filepath.Abs("."); pkg != here {
		t.Errorf("the build makes %s, want %s", pkg, here)
	}
	// The binary built is the one copied and run.
	out := args[slices.Index(args, "-o")+1]
	var binary string
	for _, in := range ins[slices.IndexFunc(ins, func(in dockerInstruction) bool { return in.args == froms[1] }):] {
		if f := strings.Fields(in.args); in.keyword == "COPY" && slices.Contains(f, "--from=build") && f[len(f)-2] == out {
			binary = f[len(f)-1]
		}
	}
	if binary == "" {
		t.Errorf("the final stage does not copy %s from the build", out)
	}
	if entry := only(t, ins, "ENTRYPOINT"); entry != `["`+binary+`"]` {
		t.Errorf("ENTRYPOINT %s, want the binary copied, %s, in exec form", entry, binary)
	}
}

func TestDockerfileRunsAsDeployed(t *testing.T) {
	ins := dockerInstructions(readDeploy(t, "Dockerfile"))
	env := map[string]string{}
	for _, kv := range strings.Fields(only(t, ins, "ENV")) {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	known := knownVariables(t)
	for k := range env {
		if !known[k] {
			t.Errorf("ENV sets %s, which the server does not read", k)
		}
	}
	host, port, err := net.SplitHostPort(env["DONORSYNC_ADDR"])
	if err != nil || host != "0.0.0.0" {
		t.Errorf("DONORSYNC_ADDR=%s (%v): want 0.0.0.0 and a port", env["DONORSYNC_ADDR"], err)
	}
	if expose := only(t, ins, "EXPOSE"); expose != port {
		t.Errorf("EXPOSE %s, want the port of DONORSYNC_ADDR, %s", expose, port)
	}
	volume := only(t, ins, "VOLUME")
	if volume != "/data" || env["DONORSYNC_DB"] != "/data/donorsync.db" || only(t, ins, "WORKDIR") != volume {
		t.Errorf("VOLUME %s, WORKDIR %s, DONORSYNC_DB=%s: want the database, the credentials file and the backfill's record on /data",
			volume, only(t, ins, "WORKDIR"), env["DONORSYNC_DB"])
	}
	if user := only(t, ins, "USER"); user == "" || user == "root" || strings.HasPrefix(user, "0") {
		t.Errorf("USER %q: want a user other than root", user)
	}
}

// TestDockerfileCopiesEveryModule: the modules' requirements are
// downloaded before the sources are copied, so every module of the
// workspace must have its go.mod and go.sum copied first.
func TestDockerfileCopiesEveryModule(t *testing.T) {
	work, err := os.ReadFile(filepath.Join(repoRoot, "go.work"))
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	for _, in := range dockerInstructions(readDeploy(t, "Dockerfile")) {
		if in.keyword == "RUN" && strings.Contains(in.args, "go mod download") {
			break
		}
		if in.keyword == "COPY" {
			copied = append(copied, strings.Fields(in.args)...)
		}
	}
	uses := regexp.MustCompile(`(?m)^\s+(\./\S*|\.)\s*$`).FindAllStringSubmatch(string(work), -1)
	if len(uses) < 2 {
		t.Fatalf("found %d modules in go.work", len(uses))
	}
	for _, use := range uses {
		for _, file := range []string{"go.mod", "go.sum"} {
			path := filepath.ToSlash(filepath.Join(use[1], file))
			if !slices.Contains(copied, path) {
				t.Errorf("%s is not copied before go mod download (COPY %q)", path, copied)
			}
		}
	}
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{".git", "**/*.db", "**/*.credentials.json"} {
		if !slices.Contains(strings.Split(string(ignore), "\n"), pattern) {
			t.Errorf(".dockerignore does not leave out %s", pattern)
		}
	}
}

// unit returns the settings of a systemd unit by section and key, each
// key's values in order. A line that is neither a section, a comment nor
// Key=value fails the test.
func unit(t *testing.T, text string) map[string]map[string][]string {
	t.Helper()
	sections := map[string]map[string][]string{}
	var section string
	sc := bufio.NewScanner(strings.NewReader(text))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			sections[section] = map[string][]string{}
		default:
			key, value, ok := strings.Cut(line, "=")
			if !ok || section == "" || key != strings.TrimSpace(key) || key == "" {
				t.Fatalf("line %d %q: want Key=value in a section", n, line)
			}
			sections[section][key] = append(sections[section][key], value)
		}
	}
	return sections
}

func TestSystemdUnit(t *testing.T) {
	u := unit(t, readDeploy(t, "donorsync.service"))
	service := u["Service"]
	for _, want := range []struct{ section, key, value string }{
		{"Service", "ExecStart", "/usr/local/bin/donorsync-server"},
		{"Service", "DynamicUser", "yes"},
		{"Service", "StateDirectory", "donorsync"},
		{"Service", "WorkingDirectory", "/var/lib/donorsync"},
		{"Service", "UMask", "0077"},
		{"Service", "EnvironmentFile", "-/etc/donorsync/donorsync.env"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "PrivateDevices", "yes"},
		{"Service", "CapabilityBoundingSet", ""},
		{"Service", "Restart", "on-failure"},
		{"Install", "WantedBy", "multi-user.target"},
	} {
		if got := u[want.section][want.key]; !slices.Equal(got, []string{want.value}) {
			t.Errorf("[%s] %s=%q, want %q", want.section, want.key, got, want.value)
		}
	}
	known := knownVariables(t)
	env := map[string]string{}
	for _, kv := range service["Environment"] {
		k, v, _ := strings.Cut(kv, "=")
		if !known[k] {
			t.Errorf("Environment sets %s, which the server does not read", k)
		}
		env[k] = v
	}
	if filepath.Dir(env["DONORSYNC_DB"]) != "/var/lib/donorsync" {
		t.Errorf("DONORSYNC_DB=%s, want a file in the StateDirectory", env["DONORSYNC_DB"])
	}
	if host, _, err := net.SplitHostPort(env["DONORSYNC_ADDR"]); err != nil || host != "127.0.0.1" {
		t.Errorf("DONORSYNC_ADDR=%s (%v): want the loopback, for a reverse proxy", env["DONORSYNC_ADDR"], err)
	}
}

// TestDeployFilesNameRealSettings: every variable the files of
// examples/deploy name is one the server reads, and every flag given to
// donorsync-server in them is one it has.
func TestDeployFilesNameRealSettings(t *testing.T) {
	known := knownVariables(t)
	flags := map[string]map[string]string{"": flagsIn(helpOf(t)), "reconcile": flagsIn(helpOf(t, "reconcile"))}
	variable := regexp.MustCompile(`DONORSYNC_[A-Z][A-Z_]*`)
	invocation := regexp.MustCompile(`donorsync-server((?: +-?[\w.:=-]+)*)`)
	for _, name := range []string{"README.md", "Dockerfile", "donorsync.service", "donorsync.env.example"} {
		text := readDeploy(t, name)
		for _, v := range variable.FindAllString(text, -1) {
			if !known[v] {
				t.Errorf("%s names %s, which the server does not read", name, v)
			}
		}
		for _, m := range invocation.FindAllStringSubmatch(text, -1) {
			args := strings.Fields(m[1])
			command := ""
			if len(args) > 0 && args[0] == "reconcile" {
				command, args = "reconcile", args[1:]
			}
			for _, arg := range args {
				flag, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
				if _, ok := flags[command][flag]; strings.HasPrefix(arg, "-") && !ok && flag != "h" {
					t.Errorf("%s runs %q: %s has no flag -%s", name, m[0], strings.TrimSpace("server "+command), flag)
				}
			}
		}
	}
	// docker run --env-file takes VARIABLE=value lines, without quotes.
	for line := range strings.Lines(readDeploy(t, "donorsync.env.example")) {
		line = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		if k, v, ok := strings.Cut(line, "="); ok && strings.HasPrefix(k, "DONORSYNC_") && strings.ContainsAny(v, `"'`) {
			t.Errorf("donorsync.env.example: %q is quoted", line)
		}
	}
}
