#!/usr/bin/env bash
# Copies the jars listed in pom.xml into the jar cache (default ~/.cache/biolake/jars), split into
# delta/ and s3/. Idempotent: Maven's local repository makes a second run offline and fast.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dest=${1:-${BIOLAKE_JARS_DIR:-$HOME/.cache/biolake/jars}}
copy() {  # $1 = sub-folder, $2 = comma-separated group ids
  mkdir -p "$dest/$1"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DexcludeTransitive=true \
      -DincludeGroupIds="$2" -DoutputDirectory="$dest/$1"
}
copy delta io.delta,io.unitycatalog,com.fasterxml.jackson.datatype
copy s3 org.apache.hadoop,software.amazon.awssdk,software.amazon.s3.analyticsaccelerator,org.wildfly.openssl
echo "jars ready in $dest"
