# What the pipeline tests share; sourced from the repository root as `. Tests/pipeline-lib.sh NAME`:
# a scratch directory /tmp/vae-NAME.XXXXXX removed on exit, the tally of checks, and its summary.
scratch=$(mktemp -d "/tmp/vae-$1.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
passed=0 failed=0
check() { # check DESCRIPTION COMMAND...: counts the check as passed when COMMAND succeeds
    local what=$1; shift
    if "$@" >/dev/null 2>&1; then passed=$((passed + 1)); echo "ok: $what"
    else failed=$((failed + 1)); echo "FAILED: $what"; fi
}
count() { compgen -G "$1" | wc -l; }  # count GLOB: how many paths match
summary() { # summary NAME: prints the tally; fails when a check failed
    echo "$1: $passed passed, $failed failed"
    [ "$failed" = 0 ]
}
