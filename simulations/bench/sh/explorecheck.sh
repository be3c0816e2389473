#!/usr/bin/env bash
# usage: explorecheck.sh OUTDIR TREE [extra explore args]: explore --json of every example x strategy (20k states), seconds dropped
out=$1; tree=$2; shift 2; mkdir -p $out; cd $tree
for f in simulations/scenarios/*.toml; do n=$(basename $f .toml)
  for s in seed dual-write seed-retry reconciled; do
    ${PYTHON:-python} -m simulations explore $f --strategy $s --max-states 20000 --json --quiet "$@" 2>/dev/null | ${PYTHON:-python} -c "import json,sys; d=json.load(sys.stdin); d.pop('seconds',None); print(json.dumps(d,sort_keys=True))" > $out/$n.$s.json
  done; done
