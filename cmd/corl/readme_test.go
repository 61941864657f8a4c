package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver/highs"
)

// TestREADME runs the shell command blocks of README.md, in order, in a
// copy of the working tree (tracked and unignored files only: what a fresh
// clone has), so that every command there stays true.
//
// Each ```sh block is marked by the line just before its fence:
//
//	<!-- readme-test: run -->           run it (also under -short; seconds each)
//	<!-- readme-test: slow -->          run it only with CORL_README_SLOW=1 (minutes each)
//	<!-- readme-test: skip REASON -->   never run it; REASON says why
//
// An unmarked ```sh block fails the test, so a new block is a decision.
// Lines run one by one with bash (a line ending in \ continues), in the copy's
// root, with the user cache in a temporary directory (the HiGHS module
// linked in, `corl fetch` served by a local mirror of the reference data,
// never the internet). readmeSubstitutions shrinks sizes so the run stays
// short; each must still match the README.
func TestREADME(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the README test moves the user cache with XDG_CACHE_HOME, which only Linux reads")
	}
	highstest.Need(t)
	for _, tool := range []string{"bash", "git", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not found: %v", tool, err)
		}
	}
	src, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := readmeBlocks(string(src))
	if err != nil {
		t.Fatal(err)
	}
	subst := readmeSubstitutions
	for _, s := range subst {
		if from := s[0]; !strings.Contains(string(src), from) {
			t.Errorf("substitution %q matches nothing in README.md: update readmeSubstitutions", from)
		}
	}
	clone := cloneWorkTree(t)
	env := readmeEnv(t, clone)
	for _, b := range blocks {
		switch {
		case b.mark == "":
			t.Errorf("README.md:%d: ```sh block without a mark; put <!-- readme-test: run|slow|skip REASON --> on the line before it", b.line)
			continue
		case strings.HasPrefix(b.mark, "skip"):
			t.Logf("README.md:%d: skipped: %s", b.line, strings.TrimSpace(strings.TrimPrefix(b.mark, "skip")))
			continue
		case b.mark == "slow" && (testing.Short() || os.Getenv("CORL_README_SLOW") != "1"):
			t.Logf("README.md:%d: slow block skipped (CORL_README_SLOW=1 runs it)", b.line)
			continue
		case b.mark != "run" && b.mark != "slow":
			t.Errorf("README.md:%d: unknown mark %q (run, slow or skip REASON)", b.line, b.mark)
			continue
		}
		for _, c := range b.commands {
			cmd := c.text
			for _, s := range subst {
				cmd = strings.ReplaceAll(cmd, s[0], s[1])
			}
			start := time.Now()
			out, err := runReadmeCommand(clone, env, cmd)
			if err != nil {
				t.Fatalf("README.md:%d (block at line %d): %s\n  ran: %s\n  %v\n%s", c.line, b.line, c.text, cmd, err, lastLines(out, 30))
			}
			t.Logf("README.md:%d: ok (%.1fs): %s", c.line, time.Since(start).Seconds(), cmd)
		}
	}
	// What the README wrote is ignored by git, so a user's clone stays clean.
	if out, err := exec.Command("git", "-C", clone, "ls-files", "--others", "--exclude-standard").CombinedOutput(); err != nil {
		t.Fatalf("git status: %v\n%s", err, out)
	} else if s := strings.TrimSpace(string(out)); s != "" {
		t.Errorf("the README's commands left files git does not ignore (add them to .gitignore):\n%s", s)
	}
}

// readmeSubstitutions are replacements applied to every README command
// before it runs, to keep the test short; the README shows the real sizes.
// They apply in order.
var readmeSubstitutions = [][2]string{
	{"--episodes 50", "--episodes 4"},
	{"--n 10 --ops 200", "--n 2 --ops 200"},
	{"--mip-time-limit 10", "--mip-time-limit 2"},
}

type readmeBlock struct {
	line     int // of the fence
	mark     string
	commands []readmeCommand
}

type readmeCommand struct {
	line int
	text string
}

// readmeBlocks returns the ```sh blocks of a Markdown text with their
// marks and commands (comment-only and empty lines dropped).
func readmeBlocks(md string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	lines := strings.Split(md, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		b := readmeBlock{line: i + 1}
		if i > 0 {
			prev := strings.TrimSpace(lines[i-1])
			if m, ok := strings.CutPrefix(prev, "<!-- readme-test:"); ok {
				b.mark = strings.TrimSpace(strings.TrimSuffix(m, "-->"))
			}
		}
		var cur *readmeCommand
		for i++; ; i++ {
			if i == len(lines) {
				return nil, fmt.Errorf("README.md:%d: ```sh block never closed", b.line)
			}
			l := lines[i]
			if strings.TrimSpace(l) == "```" {
				break
			}
			if cur != nil {
				cur.text += "\n" + l
			} else if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "#") {
				b.commands = append(b.commands, readmeCommand{line: i + 1, text: l})
				cur = &b.commands[len(b.commands)-1]
			}
			if cur != nil && !strings.HasSuffix(strings.TrimRight(l, " \t"), "\\") {
				cur = nil
			}
		}
		blocks = append(blocks, b)
	}
	return blocks, nil
}

// cloneWorkTree copies the tracked and unignored files of the working tree
// into a temporary directory and makes it a git repository of its own (for
// the .gitignore check at the end).
func cloneWorkTree(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Skipf("not a git working tree: %v", err)
	}
	clone := filepath.Join(t.TempDir(), "corl")
	for _, name := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		data, err := os.ReadFile(filepath.Join(root, name))
		if os.IsNotExist(err) {
			continue // deleted in the working tree, not yet in the index
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(filepath.Join(root, name))
		dst := filepath.Join(clone, name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, data, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) {
		if out, err := exec.Command("git", append([]string{"-C", clone}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	git("add", "-A")
	return clone
}

// readmeEnv is the environment of the README's commands: the user cache
// in a temporary directory with the HiGHS module linked in, the Go build
// cache where it was, and `corl fetch` pointed at a local mirror of the
// reference data.
func readmeEnv(t *testing.T, clone string) []string {
	t.Helper()
	cache := filepath.Join(t.TempDir(), "cache")
	hd, err := highs.DefaultDir()
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(cache, "corl")
	if err := os.MkdirAll(own, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(hd))
	for _, e := range entries { // the module and its compiled form, not fetched data
		if e.Name() != "data" {
			if err := os.Symlink(filepath.Join(filepath.Dir(hd), e.Name()), filepath.Join(own, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	gocache, err := exec.Command("go", "env", "GOCACHE").Output()
	if err != nil {
		t.Fatal(err)
	}
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "XDG_CACHE_HOME", "GOCACHE", "CORL_FETCH_BASE_URL", "CORL_HIGHS_WASM":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "XDG_CACHE_HOME="+cache, "GOCACHE="+strings.TrimSpace(string(gocache)),
		"CORL_FETCH_BASE_URL="+sharedtest.Mirror(t))
}

func runReadmeCommand(dir string, env []string, command string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", command)
	cmd.Dir, cmd.Env = dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.Bytes(), err
}

func lastLines(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, "    "+sc.Text())
	}
	if len(lines) > n {
		lines = append([]string{"    ..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
