#!/usr/bin/env bash
# Installs Debian's chromium (and fonts for Arabic, Hebrew and CJK names) when it is missing, and poppler-utils'
# pdftotext, which the PDF tests read the handouts with. Puppeteer's own browser download is disabled
# (.puppeteerrc.cjs): the product always drives the system chromium.
set -euo pipefail
if { command -v chromium >/dev/null 2>&1 || [ -n "${CHROMIUM_PATH:-}" ]; } && command -v pdftotext >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != "0" ] && ! command -v sudo >/dev/null 2>&1; then
  echo "chromium or pdftotext is missing: install Debian's 'chromium' and 'poppler-utils' packages (or set CHROMIUM_PATH)" >&2
  exit 1
fi
SUDO=""
[ "$(id -u)" = "0" ] || SUDO="sudo"
echo "Installing Debian's chromium, fonts and poppler-utils (one time)…" >&2
$SUDO apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  chromium fonts-noto-core fonts-noto-cjk fonts-dejavu-core poppler-utils >&2
