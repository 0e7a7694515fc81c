import { strict as assert } from 'node:assert';
import { InputError } from '../../../src/domain/errors.js';
import { childElements, DEFAULT_XML_LIMITS, directText, elementPath, lookupNamespaceURI, parseXml, XML_NS, type XmlElement } from '../../../src/gate/xml/parse.js';

/** Asserts a one-line InputError whose message matches `re`. */
function refused(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InputError, `expected InputError, got ${String(e)}`);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'), 'message is one line');
    return true;
  });
}

describe('gate/xml/parse', () => {
  describe('the tree', () => {
    it('resolves namespaces, keeps prefixes, attributes and declarations in document order', () => {
      const text =
        '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' +
        '<sr:Request xmlns:sr="urn:sr" xmlns="urn:d" schemaVersion="5.4" sr:x="1"><sr:Header/><plain a="b">t</plain></sr:Request>\n';
      const doc = parseXml(text);
      assert.deepEqual(doc.declaration, { version: '1.0', encoding: 'utf-8', standalone: 'no' });
      const r = doc.root;
      assert.equal(r.qName, 'sr:Request');
      assert.equal(r.prefix, 'sr');
      assert.equal(r.localName, 'Request');
      assert.equal(r.namespaceURI, 'urn:sr');
      assert.equal(r.depth, 1);
      assert.equal(r.parent, null);
      assert.deepEqual(r.namespaces.map((d) => [d.prefix, d.uri]), [['sr', 'urn:sr'], ['', 'urn:d']]);
      assert.deepEqual(r.attributes.map((a) => [a.qName, a.namespaceURI, a.localName, a.value]), [
        ['schemaVersion', '', 'schemaVersion', '5.4'],
        ['sr:x', 'urn:sr', 'x', '1'],
      ]);
      const [header, plain] = childElements(r) as [XmlElement, XmlElement];
      assert.equal(header.namespaceURI, 'urn:sr');
      assert.equal(header.children.length, 0);
      assert.equal(plain.namespaceURI, 'urn:d', 'unprefixed element takes the default namespace');
      assert.equal(plain.attributes[0]!.namespaceURI, '', 'unprefixed attribute takes no namespace');
      assert.equal(plain.parent, r);
      assert.equal(plain.depth, 2);
      assert.equal(directText(plain), 't');
      assert.equal(elementPath(plain), 'sr:Request/plain');
      assert.equal(lookupNamespaceURI(plain, 'sr'), 'urn:sr');
      assert.equal(lookupNamespaceURI(plain, 'xml'), XML_NS);
      assert.equal(lookupNamespaceURI(plain, 'nope'), undefined);
      assert.equal(doc.byteLength, text.length);
    });

    it('is immutable', () => {
      const doc = parseXml('<a x="1"><b/>text</a>');
      for (const o of [doc, doc.root, doc.root.children, doc.root.attributes, doc.root.attributes[0], doc.root.children[0], doc.root.children[1]]) {
        assert.ok(Object.isFrozen(o));
      }
      assert.throws(() => (doc.root.children as unknown as unknown[]).push('x'), TypeError);
    });

    it('resolves the five entities and character references, merges CDATA into text, normalises line ends', () => {
      const doc = parseXml(Buffer.from('<a>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;<![CDATA[<&>]]>x\r\ny\rz&#13;</a>'));
      assert.equal(doc.root.children.length, 1);
      assert.equal(directText(doc.root), '<>&"\'AB\u{1F600}<&>x\ny\nz\r');
    });

    it('normalises attribute values as CDATA (literal tab/newline to space, references kept)', () => {
      const doc = parseXml('<a v="x\ty\r\nz&#9;&#10;&#13;" w=\'"\'/>');
      assert.equal(doc.root.attributes[0]!.value, 'x y z\t\n\r');
      assert.equal(doc.root.attributes[1]!.value, '"');
    });

    it('accepts a UTF-8 byte order mark and non-ASCII names', () => {
      const doc = parseXml(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('<ü:ä xmlns:ü="urn:u" ö="1"/>')]));
      assert.equal(doc.root.localName, 'ä');
      assert.equal(doc.root.namespaceURI, 'urn:u');
    });

    it('drops comments only when asked to (the signer reading its own template)', () => {
      refused(() => parseXml('<a><!-- c --></a>'), /comments are refused/);
      const doc = parseXml('<!-- c --><a>x<!-- c -->y</a><!-- c -->', { allowComments: true });
      assert.deepEqual(doc.root.children.map((c) => c.type === 'text' && c.value), ['xy']);
      refused(() => parseXml('<a><!-- a -- b --></a>', { allowComments: true }), /'--' inside a comment/);
    });
  });

  describe('refuses untrusted-input hazards', () => {
    it('a billion-laughs DTD, refused at the DOCTYPE without expansion', () => {
      const lol = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE lolz [',
        ' <!ENTITY lol "lol">',
        ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
        ']>',
        '<lolz>&lol9;</lolz>',
      ].join('\n');
      // Refused at the declaration itself: no entity is ever defined, so none can expand.
      refused(() => parseXml(lol), /DOCTYPE declarations are refused/);
    });

    it('an external entity (XXE to /etc/passwd)', () => {
      refused(
        () => parseXml('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><r>&xxe;</r>'),
        /DOCTYPE declarations are refused/,
      );
      refused(() => parseXml('<r>&xxe;</r>'), /entity reference "&xxe;" is refused/);
      refused(() => parseXml('<r a="&nbsp;"/>'), /entity reference "&nbsp;" is refused/);
      refused(() => parseXml('<r>a & b</r>'), /'&' must start/);
    });

    it('a 50 MB document, before parsing it', () => {
      // '<a>' never closed: had the parser read it, the error would name the unclosed element.
      const big = Buffer.alloc(50 * 1024 * 1024, 0x61);
      big.write('<a>', 0);
      refused(() => parseXml(big), /52428800 bytes, over the 1048576-byte limit/);
      const bigText = big.toString('latin1');
      refused(() => parseXml(bigText), /over the 1048576-byte limit/);
    });

    it('a document over a configured size, counted in UTF-8 bytes', () => {
      refused(() => parseXml('<a>ééé</a>', { maxBytes: 12 }), /13 bytes, over the 12-byte limit/);
      assert.equal(parseXml('<a>ééé</a>', { maxBytes: 13 }).byteLength, 13);
      assert.equal(DEFAULT_XML_LIMITS.maxBytes, 1024 * 1024);
    });

    it('excessive depth', () => {
      const nest = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
      assert.equal(parseXml(nest(32)).root.localName, 'a');
      refused(() => parseXml(nest(33)), /nested deeper than 32/);
      refused(() => parseXml(nest(5000)), /nested deeper than 32/);
      refused(() => parseXml(nest(5), { maxDepth: 4 }), /nested deeper than 4/);
    });

    it('too many attributes', () => {
      const attrs = (n: number) => `<a ${Array.from({ length: n }, (_, i) => `a${i}="v"`).join(' ')}/>`;
      assert.equal(parseXml(attrs(32)).root.attributes.length, 32);
      refused(() => parseXml(attrs(33)), /more than 32 attributes/);
      refused(() => parseXml(attrs(50_000)), /more than 32 attributes/);
      refused(() => parseXml('<a xmlns:b="urn:b" c="1"/>', { maxAttributes: 1 }), /more than 1 attributes/);
    });

    it('comments and processing instructions anywhere', () => {
      refused(() => parseXml('<!-- x --><a/>'), /comments are refused/);
      refused(() => parseXml('<a>te<!-- x -->xt</a>'), /comments are refused/);
      refused(() => parseXml('<a/><!-- x -->'), /comments are refused/);
      refused(() => parseXml('<?xml-stylesheet href="x"?><a/>'), /processing instructions are refused/);
      refused(() => parseXml('<a><?pi x?></a>'), /processing instructions are refused/);
      refused(() => parseXml(' <?xml version="1.0"?><a/>'), /only allowed at the very start/);
      refused(() => parseXml('<a><!ELEMENT a ANY></a>'), /markup declarations are refused/);
    });

    it('encodings other than UTF-8, and invalid UTF-8', () => {
      refused(() => parseXml('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'), /encoding "ISO-8859-1" is not accepted/);
      refused(() => parseXml(Buffer.from('<a>\xff</a>', 'latin1')), /not valid UTF-8/);
      refused(() => parseXml(Buffer.from('\ufeff<a/>', 'utf16le')), /not valid UTF-8|U\+0000/);
      refused(() => parseXml('<?xml version="1.1"?><a/>'), /version 1.1 is not accepted/);
    });

    it('characters outside XML 1.0', () => {
      refused(() => parseXml('<a>\u0001</a>'), /U\+0001 is not allowed/);
      refused(() => parseXml('<a>\ud800</a>'), /U\+D800 is not allowed/);
      refused(() => parseXml('<a>&#0;</a>'), /not an XML 1.0 character/);
      refused(() => parseXml('<a>&#xFFFE;</a>'), /not an XML 1.0 character/);
    });

    it('malformed markup, with line and column', () => {
      refused(() => parseXml('<a>\n  <b></c>\n</a>'), /end tag <\/c> does not match <b> \(line 2, column 6\)/);
      refused(() => parseXml('<a>'), /unexpected end of document/);
      refused(() => parseXml(''), /no root element/);
      refused(() => parseXml('<a/><b/>'), /content after the root element/);
      refused(() => parseXml('<a/>x'), /content after the root element/);
      refused(() => parseXml('x<a/>'), /text before the root element/);
      refused(() => parseXml('<a b="1" b="2"/>'), /duplicate attribute b/);
      refused(() => parseXml('<a xmlns:p="urn:x" xmlns:q="urn:x" p:b="1" q:b="2"/>'), /duplicate attribute \{urn:x\}b/);
      refused(() => parseXml('<a b=1/>'), /not quoted/);
      refused(() => parseXml('<a b="<"/>'), /'<' in the value/);
      refused(() => parseXml('<a>]]></a>'), /']]>' is not allowed/);
      refused(() => parseXml('<a b="1"c="2"/>'), /malformed start tag/);
      refused(() => parseXml('<1a/>'), /expected a name/);
    });

    it('namespace errors', () => {
      refused(() => parseXml('<p:a/>'), /prefix p is not declared/);
      refused(() => parseXml('<a p:b="1"/>'), /prefix p is not declared/);
      refused(() => parseXml('<a xmlns:p=""/>'), /cannot be undeclared/);
      refused(() => parseXml('<a xmlns:xmlns="urn:x"/>'), /xmlns prefix must not be declared/);
      refused(() => parseXml('<a xmlns:xml="urn:x"/>'), /xml prefix is bound to its own namespace only/);
      refused(() => parseXml('<a xmlns="relative/uri"/>'), /not an absolute URI/);
      refused(() => parseXml('<a:b:c xmlns:a="urn:a"/>'), /not a namespace-well-formed name/);
      assert.equal(parseXml('<a xmlns="urn:d"><b xmlns=""/></a>').root.children[0]!.type, 'element');
    });
  });
});
