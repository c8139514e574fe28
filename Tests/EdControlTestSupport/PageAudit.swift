import Foundation

/// What a reader sees wrong on a rendered page, measured in the browser: text smaller than
/// 12 px, chart text cut off by its chart or on top of other chart text, text below 4.5:1
/// contrast on the colours behind it, raw catalogue keys, and (on a Russian page) English
/// words. The school's own content (names, titles, transcripts, e-mail addresses) is marked
/// `translate="no"` by the pages, commands and codes are in `<code>`, and text in another
/// language says so with `lang`: those may be in any language.
enum PageAudit {
    /// Lowercase Latin-letter words a Russian page may show: units and symbols.
    static let latinWordsInRussian: Set<String> = ["p", "t", "dB", "px", "sha"]

    /// The words of `texts` (the English catalogue and the English texts the service writes),
    /// lowercased: a capitalized Latin word on a Russian page is English if it is one of them
    /// (a name such as "Whisper" or "MediaPipe" is not; "The" and "English" are).
    static func vocabulary(_ texts: [String]) -> [String] {
        Set(texts.flatMap { $0.lowercased().split { !$0.isLetter || !$0.isASCII }.map(String.init) }).sorted()
    }

    /// The audit as a JavaScript expression; it returns a list of problems, each a sentence.
    static func script(keys: [String], english: [String], language: String) -> String {
        """
        (() => {
          const keys = new Set(\(json(keys))), allowed = new Set(\(json(Array(latinWordsInRussian).sorted()))), vocabulary = new Set(\(json(english)));
          const russian = \(Browser.quoted(language)) === 'ru';
          const problems = [];
          const rgba = text => { const m = (text || '').match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
            const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(parseFloat); return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
          const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
                                          b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
          const luminance = c => { const f = v => { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
            return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
          const contrast = (a, b) => { const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
          // The page's colour behind an HTML element: its own and its ancestors' backgrounds, composed over white.
          const backdrop = element => { const layers = [];
            for (let e = element; e && e.nodeType === 1; e = e.parentElement) {
              const c = rgba(getComputedStyle(e).backgroundColor); if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
            return layers.reverse().reduce((base, c) => over(c, base), {r: 255, g: 255, b: 255, a: 1}); };
          const opacity = element => { let o = 1; for (let e = element; e && e.nodeType === 1; e = e.parentElement) o *= parseFloat(getComputedStyle(e).opacity); return o; };
          // Behind SVG text: the last shape drawn before it that covers its middle, else the page.
          const svgBackdrop = text => { const box = text.getBoundingClientRect(), x = box.left + box.width / 2, y = box.top + box.height / 2;
            const shapes = [...text.ownerSVGElement.querySelectorAll('rect, path, circle, polygon')]
              .filter(s => s.compareDocumentPosition(text) & Node.DOCUMENT_POSITION_FOLLOWING);
            for (const s of shapes.reverse()) { const b = s.getBoundingClientRect(), fill = rgba(getComputedStyle(s).fill);
              if (fill && fill.a > 0 && b.left <= x && x <= b.right && b.top <= y && y <= b.bottom) return over(fill, backdrop(text.ownerSVGElement)); }
            return backdrop(text.ownerSVGElement); };
          const shown = e => e.checkVisibility({visibilityProperty: true}) && e.getClientRects().length > 0;
          const where = e => { const h = e.closest('[id]'); return (h ? '#' + h.id + ' ' : '') + e.tagName.toLowerCase(); };
          const checked = new Set();
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const text = node.textContent.trim(), element = node.parentElement;
            if (!text || !element || element.closest('script, style, noscript, title, option, .skip') || !shown(element)) continue;
            const ours = !element.closest('[translate=no], code, kbd, samp') && (element.closest('[lang]')?.lang || '') === document.documentElement.lang;
            for (const word of text.match(/[a-z]+(?:_[a-z0-9]+)+/g) || []) if (ours && keys.has(word)) problems.push(`raw key "${word}" in ${where(element)}`);
            if (russian && ours) {
              // Lowercase Latin words, and capitalized ones that are English words ("The", not "AMI" or "Whisper").
              const english = (text.match(/[A-Za-z]+/g) || []).filter(w => !allowed.has(w)
                && ((/^[a-z]/.test(w) && w.length > 1) || (/^[A-Z][a-z]+$/.test(w) && vocabulary.has(w.toLowerCase()))));
              if (english.length) problems.push(`English on a Russian page in ${where(element)}: "${text.slice(0, 80)}" (${english.join(', ')})`);
            }
            if (checked.has(element)) continue;
            checked.add(element);
            const style = getComputedStyle(element), svg = element.ownerSVGElement;
            const scale = svg ? element.getScreenCTM().a : 1, size = parseFloat(style.fontSize) * scale;
            if (size < 11.95) problems.push(`${size.toFixed(1)} px text in ${where(element)}: "${text.slice(0, 40)}"`);
            const colour = rgba(svg ? style.fill : style.color); if (!colour) continue;
            colour.a *= opacity(element) * (svg ? parseFloat(style.fillOpacity || 1) : 1);
            const behind = svg ? svgBackdrop(element) : backdrop(element);
            const ratio = contrast(over(colour, behind), behind);
            if (ratio < 4.5) problems.push(`contrast ${ratio.toFixed(2)}:1 in ${where(element)}: "${text.slice(0, 40)}"`);
          }
          // Chart text stays inside its chart, whole, and off other chart text.
          for (const svg of document.querySelectorAll('svg')) {
            if (!shown(svg)) continue;
            const bounds = svg.getBoundingClientRect();
            const texts = [...svg.querySelectorAll('text')].filter(shown).map(t => ({t, box: t.getBoundingClientRect()}));
            for (const {t, box} of texts) {
              if (box.left < bounds.left - 0.5 || box.right > bounds.right + 0.5 || box.top < bounds.top - 0.5 || box.bottom > bounds.bottom + 0.5)
                problems.push(`chart text "${t.textContent}" is cut off by ${where(svg)}`);
              if (t.textContent.endsWith('…')) problems.push(`chart text "${t.textContent}" is shortened in ${where(svg)}`);
            }
            texts.forEach((a, i) => texts.slice(i + 1).forEach(b => {
              const across = Math.min(a.box.right, b.box.right) - Math.max(a.box.left, b.box.left);
              const down = Math.min(a.box.bottom, b.box.bottom) - Math.max(a.box.top, b.box.top);
              if (across > 1 && down > 2) problems.push(`chart texts "${a.t.textContent}" and "${b.t.textContent}" overlap in ${where(svg)}`);
            }));
          }
          // Nothing wider than the screen.
          if (document.documentElement.scrollWidth > window.innerWidth + 1)
            problems.push(`the page is ${document.documentElement.scrollWidth} px wide on a ${window.innerWidth} px screen`);
          return [...new Set(problems)];
        })()
        """
    }

    private static func json(_ strings: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: strings), as: UTF8.self)
    }
}

extension Browser {
    /// The page's problems (`PageAudit`); empty when it reads whole.
    func audit(keys: [String], english: [String]) throws -> [String] {
        let language = try evaluate("document.documentElement.lang") as? String ?? ""
        return try evaluate(PageAudit.script(keys: keys, english: english, language: language)) as? [String] ?? ["the audit did not run"]
    }
}
