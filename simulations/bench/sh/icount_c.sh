#!/usr/bin/env bash
# usage: icount_c.sh PYTHON [STRATEGY] [MAX]: callgrind instructions of explore three-sends with an installed build, run outside any tree
here=$(cd "$(dirname "$0")" && pwd)
py=$1; st=${2:-seed}; mx=${3:-4000}; d=$(mktemp -d); cd $d; out=$d/cg
PYTHONHASHSEED=0 setarch -R valgrind --tool=callgrind --callgrind-out-file=$out $py -m simulations explore $here/../three-sends.toml --strategy $st --quiet --json --max-states $mx > /dev/null 2>&1
grep -E "^(summary|totals):" $out | head -1 | awk -v t=$py '{print t, $2}'; rm -rf $d
