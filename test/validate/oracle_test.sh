#!/usr/bin/env bash
# xdsd's validator and go-control-plane's generated Validate() must agree on valid/invalid for
# every resource of the corpus oracle_corpus writes. Resources either side can not parse (a
# field or type one API version lacks, a resource without a name) are not compared.
#
# usage: oracle_test.sh ORACLE_CORPUS EXAMPLES_DIR GO_MODULE_DIR GO
set -euo pipefail
corpus_bin=$1 examples=$2 go_dir=$3 go=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$corpus_bin" "$examples" > "$work/corpus.tsv"
(cd "$go_dir" && GOFLAGS=-mod=mod GOPROXY=off "$go" build -o "$work/oracle" ./validate_oracle)
cut -f2,3 "$work/corpus.tsv" | "$work/oracle" > "$work/go.tsv"
paste "$work/corpus.tsv" "$work/go.tsv" | awk -F'\t' '
  { xdsd = $1; go = $4 }
  xdsd == "unparsable" || go == "unparsable" { skipped++; next }
  { compared++; verdicts[xdsd]++ }
  xdsd != go {
    disagreements++
    printf "DISAGREE line %d: xdsd %s, go-control-plane %s (%s)\n  %s %s\n", NR, xdsd, go, $5, $2, substr($3, 1, 400)
  }
  END {
    printf "%d compared (%d valid, %d invalid by xdsd), %d not comparable, %d disagreements\n",
      compared, verdicts["valid"], verdicts["invalid"], skipped, disagreements
    exit disagreements > 0 || compared == 0
  }'
