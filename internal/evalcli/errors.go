package evalcli

import (
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/cliexit"
)

func usage(format string, args ...any) error { return cliexit.Usagef(format, args...) }

func input(err error) error { return cliexit.InputErr(err) }

// beforeFlags are the flags that search as runs recorded before a
// setting did, for the settings that have one.
var beforeFlags = map[string]string{"plunge_quot": "--plunge-quot 0.5", "lns_effort": "--lns-effort inf", "lns_limits": "--lns-limits nodes", "gap_prune": "--gap-prune off"}

// valueFlags are the flags that search as runs recorded with a
// setting's former default did.
var valueFlags = map[string]map[string]string{
	"lns_limits": {"stall,rins-leaves": "--lns-limits stall", "nodes": "--lns-limits nodes"},
	"lns_effort": {"0.5": "--lns-effort 0.5", "inf": "--lns-effort inf"},
}

// SettingsUsage words a resume refused for its settings as the usage
// error of the command tool ("corl", "corl-beam") whose finished runs
// they are.
func SettingsUsage(tool string, e *eval.SettingsError) error {
	switch {
	case e.Missing && beforeFlags[e.Name] != "":
		return usage("--resume: the finished runs in %s predate the setting %s, and were not made with %s %s: resume with %s to search as they did, finish them with the %s that made them, or remove the directory to start over",
			e.Dir, e.Name, e.Name, e.Now, beforeFlags[e.Name], tool)
	case e.Missing:
		return usage("--resume: the finished runs in %s predate the setting %s, and were not made with %s %s: finish them with the %s that made them, or remove the directory to start over",
			e.Dir, e.Name, e.Name, e.Now, tool)
	case e.Unset:
		return usage("--resume: the finished runs in %s were made with %s %s, which these flags do not set: give its flag again", e.Dir, e.Name, e.Was)
	case valueFlags[e.Name][e.Was] != "":
		return usage("--resume: the finished runs in %s were made with %s %s, not %s: resume with %s (and any flag a later refusal names) to search as they did, or remove the directory to start over",
			e.Dir, e.Name, e.Was, e.Now, valueFlags[e.Name][e.Was])
	default:
		return usage("--resume: the finished runs in %s were made with %s %s, not %s", e.Dir, e.Name, e.Was, e.Now)
	}
}
