import { parseFragment, serialize, type DefaultTreeAdapterMap } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const Headings = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6']);
const MaxSlugLength = 60;

export interface HeadingIdsResult {
  html: string;
  /** How many headings got an id; 0 means `html` is the input, untouched. */
  added: number;
}

/**
 * Gives every h1–h6 of an HTML fragment without an id one made from its text (`"Next steps"` → `next-steps`),
 * made unique within the fragment (`next-steps-2`). Ids already there are kept, so the result is stable: run
 * again, it adds nothing. The HTML is parsed and serialized by parse5 only when something is added, so a
 * field that needs nothing keeps its exact bytes.
 */
export function addHeadingIds(html: string): HeadingIdsResult {
  const fragment = parseFragment(html);
  const elements = [...walk(fragment)];
  const taken = new Set(elements.map((element) => attribute(element, 'id')).filter((id) => id !== undefined));
  let added = 0;
  for (const element of elements) {
    if (!Headings.has(element.tagName) || attribute(element, 'id') !== undefined) continue;
    const base = slug(textOf(element)) || 'heading';
    let id = base;
    for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
    taken.add(id);
    element.attrs.push({ name: 'id', value: id });
    added += 1;
  }
  return added === 0 ? { html, added } : { html: serialize(fragment), added };
}

export function slug(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MaxSlugLength)
    .replace(/-+$/, '');
}

function* walk(node: Node): Generator<Element> {
  if ('tagName' in node) yield node;
  const children = 'childNodes' in node ? node.childNodes : [];
  // <template> keeps its children in `content`.
  const content = 'content' in node ? (node.content as Node) : undefined;
  for (const child of children) yield* walk(child);
  if (content) yield* walk(content);
}

function textOf(node: Node): string {
  if (node.nodeName === '#text') return (node as DefaultTreeAdapterMap['textNode']).value;
  return 'childNodes' in node ? node.childNodes.map(textOf).join('') : '';
}

function attribute(element: Element, name: string): string | undefined {
  return element.attrs.find((attr) => attr.name === name)?.value;
}
