#!/usr/bin/env bash
# usage: icount.sh TREE [STRATEGY] [MAX] : callgrind instructions of explore three-sends (startup included)
t=$1; st=${2:-seed}; mx=${3:-4000}
cd $t; out=$(mktemp)
PYTHONHASHSEED=0 setarch -R valgrind --tool=callgrind --callgrind-out-file=$out ${PYTHON:-python} -m simulations explore simulations/bench/three-sends.toml --strategy $st --quiet --json --max-states $mx > /dev/null 2>&1
grep -E "^(summary|totals):" $out | head -1 | awk -v t=$t '{print t, $2}'; rm -f $out
