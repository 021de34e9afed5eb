#!/usr/bin/env bash
# Refresh the console's message catalogues: extract every message of the templates and pages
# with pybabel, merge into the zh and en .po files, and compile the .mo files the server loads.
# Translate the new (empty) entries of both .po files, then run it again to compile.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
locale=src/plaudit/web/locale
"$BIN/pybabel" extract -F src/plaudit/web/babel.cfg -o "$locale/messages.pot" \
  --no-location --sort-output --project plaudit --copyright-holder "Plaudit authors" . >/dev/null 2>&1
for lang in zh en; do
  if [ -f "$locale/$lang/LC_MESSAGES/messages.po" ]; then
    "$BIN/pybabel" update -i "$locale/messages.pot" -d "$locale" -l "$lang" --no-fuzzy-matching --ignore-obsolete >/dev/null
  else
    "$BIN/pybabel" init -i "$locale/messages.pot" -d "$locale" -l "$lang" >/dev/null
  fi
done
"$BIN/pybabel" compile -d "$locale" --statistics
