#!/usr/bin/env bash
# Re-vendor the console's front-end packages from the npm registry, at the versions pinned in
# scripts/web-vendor/package-lock.json, with their licences. The server never fetches anything
# at run time (self-hosters run air-gapped); this script is only for upgrading a version.
set -euo pipefail
cd "$(dirname "$0")/web-vendor"
npm ci --no-audit --no-fund --ignore-scripts >/dev/null
static=../../src/plaudit/web/static/vendor
tests=../../tests/integration/vendor
rm -rf "$static" "$tests"
mkdir -p "$static/htmx" "$static/echarts" "$tests/axe-core"
cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE "$static/htmx/"
cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE node_modules/echarts/NOTICE "$static/echarts/"
cp node_modules/axe-core/axe.min.js node_modules/axe-core/LICENSE "$tests/axe-core/"
for pkg in htmx.org echarts axe-core; do
  node -e "const p=require('./node_modules/$pkg/package.json');console.log(p.name+'@'+p.version+' '+p.license)"
done > "$static/VERSIONS.txt"
rm -rf node_modules
