#!/usr/bin/env bash
# One command from a fresh clone to a finished local run: system libraries, npm packages, build, then the churn
# pipeline end to end on its bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
# npm install, not npm ci: the lock file holds only the platform packages the registry serves here (DuckDB's and
# swc's other-platform binaries are missing from it), and npm ci refuses such a lock file.
npm install --no-audit --no-fund
npm run build
node bin/sluice.js run pipelines/churn/data/telco_churn.csv --pipeline churn
