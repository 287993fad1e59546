#!/usr/bin/env bash
# make install into a temporary prefix, then what a user of the installed tools would try: the
# tools run, `man -l` shows a page, bash picks up a completion; then make uninstall, which must
# remove every file install wrote and nothing else. Run from the repository root after the release
# build (make test-install); the man pages come from `make man`, which reuses that build.
set -uo pipefail
. Tests/pipeline-lib.sh install
P=$scratch/prefix
TOOLS="vae-ingest vae-train vae-embed vae-generate"

# Files of another package under the prefix: uninstall must leave them.
mkdir -p "$P/bin" "$P/share/man/man1"
echo other > "$P/bin/other-tool"
echo other > "$P/share/man/man1/other-tool.1"

make --no-print-directory install PREFIX="$P" > "$scratch/install.log" 2>&1
check "make install PREFIX=P succeeds" grep -q "^installed: $P/bin/vae-train$" "$scratch/install.log"
for t in $TOOLS; do
    check "$t: bin, man page and three completions installed" test -x "$P/bin/$t" -a -s "$P/share/man/man1/$t.1" \
        -a -s "$P/share/bash-completion/completions/$t" -a -s "$P/share/zsh/site-functions/_$t" \
        -a -s "$P/share/fish/vendor_completions.d/$t.fish"
    check "$t: P/bin/$t --help prints its usage" bash -c "'$P/bin/$t' --help | grep -q 'USAGE: $t'"
done
check "install wrote 20 files (and the 2 others are there)" test "$(find "$P" -type f | wc -l)" = 22
check "man -l P/share/man/man1/vae-train.1 shows the page of vae-train" \
    bash -c "MANPAGER=cat man -l '$P/share/man/man1/vae-train.1' | grep -q '^ *vae-train'"
check "man -l P/share/man/man1/vae-ingest.1 includes its subcommands" \
    bash -c "MANPAGER=cat man -l '$P/share/man/man1/vae-ingest.1' | grep -q 'make-photos'"
check "bash: the installed completion registers vae-train" \
    bash -c "source '$P/share/bash-completion/completions/vae-train' && complete -p vae-train | grep -q 'vae-train$'"
check "zsh: the installed completion is a #compdef for vae-train" \
    grep -q '^#compdef vae-train' "$P/share/zsh/site-functions/_vae-train"
check "fish: the installed completion completes vae-train" \
    grep -q "^complete -c 'vae-train'" "$P/share/fish/vendor_completions.d/vae-train.fish"

make --no-print-directory uninstall PREFIX="$P" > "$scratch/uninstall.log" 2>&1
check "make uninstall PREFIX=P succeeds and says what it removed" \
    test "$(grep -c "^removed: $P/" "$scratch/uninstall.log")" = 20
check "uninstall left the other package's files" test -f "$P/bin/other-tool" -a -f "$P/share/man/man1/other-tool.1"
rm "$P/bin/other-tool" "$P/share/man/man1/other-tool.1"
check "after uninstall the prefix holds no file" test -z "$(find "$P" ! -type d)"
make --no-print-directory uninstall PREFIX="$P" > "$scratch/uninstall2.log" 2>&1
check "make uninstall again succeeds and removes nothing" test ! -s "$scratch/uninstall2.log"
check "make uninstall PREFIX= refuses, naming PREFIX" bash -c "make --no-print-directory uninstall PREFIX= 2>&1 | grep -q 'PREFIX is empty'"
summary install
