package main

import (
	"flag"
	"fmt"
	"strings"
)

// envPrefix begins the name of every variable the server reads.
const envPrefix = "DONORSYNC_"

// envName returns the variable that sets the flag named name:
// DONORSYNC_ and the name in upper snake case, as DONORSYNC_READ_TIMEOUT
// for -read-timeout.
func envName(name string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// origins tell, by flag name, where the flags set from the environment
// took their value: the variable's name.
type origins map[string]string

// of names where the flag named name took its value, for messages about
// it: its variable, or the flag itself.
func (o origins) of(name string) string {
	if env, ok := o[name]; ok {
		return env
	}
	return "-" + name
}

// parseWithEnv parses args into fs, then sets each flag that args leave
// unset from its variable (see envName), when getenv gives it a value:
// the command line wins over the environment. A value fs refuses is an
// error naming its variable. Call it once every flag is defined: it adds
// the variable to each flag's usage, so that -h lists them.
func parseWithEnv(fs *flag.FlagSet, args []string, getenv func(string) string) (origins, error) {
	fs.VisitAll(func(f *flag.Flag) {
		f.Usage += " [$" + envName(f.Name) + "]"
	})
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	onCommandLine := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { onCommandLine[f.Name] = true })
	o := origins{}
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		env := envName(f.Name)
		v := getenv(env)
		if err != nil || onCommandLine[f.Name] || v == "" {
			return
		}
		if setErr := fs.Set(f.Name, v); setErr != nil {
			err = fmt.Errorf("%s is %q: want %s (%w)", env, v, kind(f), setErr)
			return
		}
		o[f.Name] = env
	})
	if err != nil {
		return nil, err
	}
	return o, nil
}

// kind says what a flag's value is, for errors: "true or false", or the
// name -h gives its type.
func kind(f *flag.Flag) string {
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return "true or false"
	}
	name, _ := flag.UnquoteUsage(f)
	if name != "" && strings.ContainsRune("aeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}
