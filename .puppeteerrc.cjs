// Puppeteer must never download its own browser: the product drives Debian's chromium.
module.exports = { skipDownload: true };
