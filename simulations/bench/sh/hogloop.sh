#!/usr/bin/env bash
# Ten consecutive `python -m pytest -q` runs on a clean clone under two CPU hogs (issue 22).
# usage: hogloop.sh CLONE LOGDIR (CLONE: a clone where .ci/run has made .ci-venv)
cd "$1"; . .ci-venv/bin/activate; log=$2; mkdir -p "$log"
echo "commit $(git rev-parse --short HEAD) start $(date -u +%FT%TZ) nproc $(nproc)" >> $log/loop.log
yes > /dev/null & h1=$!; yes > /dev/null & h2=$!
trap "kill $h1 $h2" EXIT
for i in $(seq 1 10); do
  git clean -qfdx -e .ci-venv
  start=$(date +%s)
  python -m pytest -q -p no:cacheprovider > $log/run.$i.log 2>&1; rc=$?
  echo "run $i rc=$rc $(( $(date +%s) - start ))s $(tail -1 $log/run.$i.log)" >> $log/loop.log
done
echo "end $(date -u +%FT%TZ)" >> $log/loop.log
