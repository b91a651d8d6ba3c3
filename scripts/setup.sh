#!/usr/bin/env bash
# One command from a fresh clone to a finished local run: system libraries, npm packages, build, then the churn
# pipeline end to end on its bundled sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system-deps.sh
npm ci --no-audit --no-fund
npm run build
node bin/sluice.js run pipelines/churn/data/telco_churn.csv --pipeline churn
