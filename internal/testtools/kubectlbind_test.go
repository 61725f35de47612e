package testtools

import (
	"path/filepath"
	"strings"
	"testing"
)

// fakeKubectlBind prints what kubectl-bind prints and asks twice as it does: each answer read with
// one read(2) of up to 4 KiB (the CLI makes a new bufio.Reader for each prompt, so an answer typed
// ahead of its prompt would be swallowed by the previous one).
const fakeKubectlBind = `#!/usr/bin/env bash
[ -t 0 ] && echo "stdin is a terminal"
echo "args: $*"
echo "KUBECONFIG=$KUBECONFIG"
printf '\nTo authenticate, visit in your browser:\n\n\t%s\n' "http://127.0.0.1:1/authorize?p=1&s=x" >&2
for i in 1 2; do
  printf '\033[31mThe provider wants to write secrets objects on your cluster.\033[0m\n'
  echo "Do you accept this Permission? [No,Yes]"
  a=$(dd bs=4096 count=1 2>/dev/null)
  echo "answer $i: $a"
done
`

func TestBindSessionAnswersPromptsOnATerminal(t *testing.T) {
	cli := filepath.Join(t.TempDir(), "kubectl-bind")
	writeFile(t, cli, fakeKubectlBind, 0o755)
	r := newRunDir(t, t)
	app := &ControlPlane{Dir: r.dir, LogDir: r.logs, run: r, Kubeconfig: "/app.kubeconfig"}
	s := app.KubectlBind(t, &KlutchBind{KubectlBind: cli}, "http://127.0.0.1:1/export")
	if got, want := s.AuthorizeURL(t), "http://127.0.0.1:1/authorize?p=1&s=x"; got != want {
		t.Errorf("AuthorizeURL() = %q, want %q", got, want)
	}
	for i := 1; i <= 2; i++ {
		s.WaitForOutput(t, "Do you accept this Permission? [No,Yes]", i)
		s.Type(t, "y")
	}
	out := s.Wait(t)
	for _, want := range []string{
		"stdin is a terminal\n", "args: http://127.0.0.1:1/export --skip-konnector\n", "KUBECONFIG=/app.kubeconfig\n",
		"\nThe provider wants to write secrets objects on your cluster.\n", "answer 1: y\n", "answer 2: y\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the session's output lacks %q; it is:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\r") || strings.Contains(out, "\033") {
		t.Errorf("the session's output keeps carriage returns or escape sequences:\n%q", out)
	}
}
