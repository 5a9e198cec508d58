import { loadConfig } from '../../server/config';

/** The Chromium pool's shape comes from configuration: one browser × two renders unless the operator says otherwise. */
describe('PDF pool configuration', () => {
  test('defaults to one browser running two renders at once', () => {
    expect(loadConfig({}).pdfPool).toEqual({ size: 1, pagesPerBrowser: 2 });
  });

  test('PDF_BROWSERS and PDF_PAGES_PER_BROWSER set the shape', () => {
    expect(loadConfig({ PDF_BROWSERS: '2', PDF_PAGES_PER_BROWSER: '3' }).pdfPool).toEqual({ size: 2, pagesPerBrowser: 3 });
  });

  test.each([['PDF_BROWSERS', '0'], ['PDF_BROWSERS', 'two'], ['PDF_PAGES_PER_BROWSER', '9']])('%s=%s is refused at start', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(name));
  });
});
