#!/usr/bin/env bash
# Runs a command while holding a pipeline's lock, so that two runs of one pipeline never work on
# the same artifacts at once.
#
#   locked.sh LOCK_FILE COMMAND...
#
# The lock is flock(2) on LOCK_FILE, held on file descriptor 9 by the command and everything it
# starts, and released by the kernel when the last of them exits, however it exits: a lock left by
# a killed run never blocks the next one. A second run waits for the first and says so once; with
# NOWAIT=1 in the environment it exits at once with status 1, naming the lock and the process that
# holds it. LOCK_FILE holds the process ID of the holder, for that message only.
set -euo pipefail

lock=$1
shift
mkdir -p "$(dirname "$lock")"
exec 9<>"$lock"
if ! flock -n 9; then
    holder=$(tr -dc '0-9' < "$lock")
    who="process ${holder:-unknown}"
    if [ -n "$holder" ] && [ -r "/proc/$holder/cmdline" ]; then
        who="$who ($(tr '\0' ' ' < "/proc/$holder/cmdline" | cut -c1-80 | sed 's/ *$//'))"
    fi
    if [ "${NOWAIT:-}" = 1 ]; then
        echo "error: $lock is held by $who; another run of this pipeline is in progress (NOWAIT=1: not waiting)" >&2
        exit 1
    fi
    echo "waiting for $lock, held by $who ..." >&2
    flock 9
fi
# This process becomes the command (exec), so the recorded ID is the holder's for the whole run.
echo $$ > "$lock"
exec "$@"
