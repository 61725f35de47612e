# Filters `go test -v` output down to what `go test` prints without -v (package results, failures
# with their messages, build errors), then lists every skipped test with the reason it gave, one line
# each, and counts them: make unit's summary of what a bare clone does not run.
#
#   go test -short -v ./... 2>&1 | awk -f test/tools/skips.awk
#
# In -v output a test's messages come before its result line ("--- SKIP: TestX (0.00s)"), after an
# "=== RUN/CONT/NAME TestX" header; go test prints each package's output in one piece, ending with
# "ok PKG", "FAIL PKG" or "? PKG [no test files]".
function flush_pkg(pkg,   i) {
  for (i = 1; i <= npending; i++) skipped[++nskipped] = pkg " " pending[i]
  npending = 0
}
/^=== (RUN|CONT|NAME|PAUSE)/ { nbuf = 0; next }
/^ *--- SKIP: / {
  name = $3
  reason = (nbuf > 0) ? buf[1] : ""
  sub(/^ *[^ :]+\.go:[0-9]+: /, "", reason)
  pending[++npending] = name ": " reason
  nbuf = 0
  next
}
/^ *--- PASS: / { nbuf = 0; next }
/^ *--- FAIL: / {
  for (i = 1; i <= nbuf; i++) print buf[i]
  print
  nbuf = 0
  next
}
/^(PASS|FAIL)$/ { next }
/^(ok|FAIL|\?)[ \t]/ { print; flush_pkg($2); nbuf = 0; next }
/^    / { buf[++nbuf] = $0; next }
{ print }
END {
  if (nskipped == 0) { print "skipped no tests"; exit }
  print ""
  print "skipped " nskipped " tests:"
  for (i = 1; i <= nskipped; i++) print "  SKIP " skipped[i]
}
