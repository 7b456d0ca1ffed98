import { addHeadingIds, slug } from './heading-ids';

describe('addHeadingIds', () => {
  it('gives each heading an id from its text, unique within the fragment, keeping existing ids', () => {
    const result = addHeadingIds(
      '<h1>Next steps</h1><p>x</p><h2 id="next-steps-2">Kept</h2><h3>Next <em>steps</em></h3><h6></h6>',
    );
    expect(result).toEqual({
      added: 3,
      html: '<h1 id="next-steps">Next steps</h1><p>x</p><h2 id="next-steps-2">Kept</h2><h3 id="next-steps-3">Next <em>steps</em></h3><h6 id="heading"></h6>',
    });
    expect(addHeadingIds(result.html)).toEqual({ html: result.html, added: 0 });
  });

  it('leaves a fragment without id-less headings byte for byte', () => {
    const html = '<p>a<br/>b</p><H2 ID=x>upper</H2><div><h4 id="y">deep</h4></div>';
    expect(addHeadingIds(html)).toEqual({ html, added: 0 });
  });

  it('reads headings as the parser sees them: escaped text, markup in attributes and comments is no heading', () => {
    const result = addHeadingIds(
      '<p title="<h1>no</h1>">&lt;h2&gt;not a heading&lt;/h2&gt;</p><!-- <h3>no</h3> --><ul><li><h5>Ça &amp; là</h5></li></ul>',
    );
    expect(result.added).toBe(1);
    expect(result.html).toContain('<h5 id="ca-la">Ça &amp; là</h5>');
    expect(result.html).toContain('<!-- <h3>no</h3> -->');
  });

  it('makes short, readable slugs', () => {
    expect(slug('  Über  die   Brücke! ')).toBe('uber-die-brucke');
    expect(slug('x'.repeat(100))).toHaveLength(60);
    expect(slug('!!!')).toBe('');
  });
});
