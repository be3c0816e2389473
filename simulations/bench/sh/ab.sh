#!/usr/bin/env bash
# usage: ab.sh ROUNDS SCENARIO STRATEGY TREE... : user CPU seconds of explore, trees interleaved
rounds=$1; sc=$2; st=$3; shift 3
for r in $(seq 1 $rounds); do for t in "$@"; do
  cd $t; /usr/bin/time -f "$t %U" ${PYTHON:-python} -m simulations explore $sc --strategy $st --quiet --json --max-states 1000000 > /dev/null 2>> /tmp/ab.$$.txt
  tail -1 /tmp/ab.$$.txt
done; done
