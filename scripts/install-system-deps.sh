#!/usr/bin/env bash
# Installs the system libraries the local engines use, from Debian/Ubuntu packages:
#   libxgboost0, libxgboost-dev  XGBoost 1.7.4, the version in SageMaker's XGBoost 1.7-1 container
#   python3-xgboost              the same XGBoost from Python: the parity tests and the training bench compare with it
#   fasttext                     fastText 0.9.2, the local stand-in for BlazingText
#   chromium                     headless Chromium for the console's browser test (test/integration/console/)
# Skips what is already installed; uses sudo when not root.
set -euo pipefail
packages=(libxgboost0 libxgboost-dev python3-xgboost python3-numpy fasttext chromium)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "Sluice needs ${missing[*]}; install them with your system's package manager." >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing system packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
