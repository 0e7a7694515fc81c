// The fields of `openssl x509 -text` output, by their place in its indentation tree, to compare
// smki's decoding with openssl's field by field (test/ca/certificate-text.test.ts, test/cli/cert.test.ts).
/** One line of `-text` output and the lines under it (more indented). */
interface TextNode {
  line: string;
  children: TextNode[];
}

/** The indentation tree of openssl's -text layout, trailing blanks dropped (openssl leaves `Identifier: `). */
export function textTree(text: string): TextNode[] {
  const root: TextNode = { line: '', children: [] };
  const stack: { indent: number; node: TextNode }[] = [{ indent: -1, node: root }];
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '') continue;
    const indent = line.length - line.trimStart().length;
    while (stack[stack.length - 1]!.indent >= indent) stack.pop();
    const node = { line: line.trim(), children: [] };
    stack[stack.length - 1]!.node.children.push(node);
    stack.push({ indent, node });
  }
  return root.children;
}

/** Field path -> value lines: `Certificate/Data/X509v3 extensions/X509v3 Key Usage: critical` -> ['Digital Signature']. */
export function textFields(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (nodes: TextNode[], path: string) => {
    for (const n of nodes) {
      const p = `${path}/${n.line.replace(/:\s.*$|:$/, '')}`;
      const key = out.has(p) ? `${p}#${[...out.keys()].filter((k) => k === p || k.startsWith(`${p}#`)).length}` : p;
      // A field's value: the text after its colon, and its leaf lines.
      const leaves = n.children.filter((c) => c.children.length === 0).map((c) => c.line);
      out.set(key, [n.line.includes(': ') ? n.line.slice(n.line.indexOf(': ') + 2) : '', ...leaves]);
      walk(n.children.filter((c) => c.children.length > 0), p);
    }
  };
  walk(textTree(text), '');
  return out;
}

