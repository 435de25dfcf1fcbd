// Offsets in the stored body are Unicode code points (TEXT.md 1); JavaScript strings count
// UTF-16 units, so every length here goes through codePoints(). Text inside [data-skip]
// (suggested insertions shown inline, and the hidden words for screen readers at the edges
// of suggested changes: consult/web/change_labels.py) is not part of the body and is never
// counted.

export function codePoints(text) {
  let n = 0;
  for (const _ of text) n += 1;
  return n;
}

function isSkipped(node) {
  const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return Boolean(el && el.closest("[data-skip]"));
}

export function textNodes(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (n) => (isSkipped(n) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  return nodes;
}

export function blockOf(node) {
  const el = node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  return el ? el.closest(".block[data-start]") : null;
}

// The body offset of a DOM point (node, offset) inside a block.
export function pointToOffset(block, node, offset) {
  const base = Number(block.dataset.start);
  const skipped = (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement)?.closest("[data-skip]");
  if (skipped && block.contains(skipped)) {
    // A point inside inserted text stands for the insertion point before it.
    return pointToOffset(block, skipped.parentNode, Array.prototype.indexOf.call(skipped.parentNode.childNodes, skipped));
  }
  let count = 0;
  if (node.nodeType === Node.TEXT_NODE) {
    for (const t of textNodes(block)) {
      if (t === node) return base + count + codePoints(t.data.slice(0, offset));
      count += codePoints(t.data);
    }
    return base + count;
  }
  const marker = node.childNodes[offset] || null;
  for (const t of textNodes(block)) {
    const after = marker
      ? marker === t || marker.contains(t) || (marker.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING)
      : !node.contains(t) && (node.compareDocumentPosition(t) & Node.DOCUMENT_POSITION_FOLLOWING);
    if (after) break;
    count += codePoints(t.data);
  }
  return base + count;
}

export function blockText(block) {
  return textNodes(block).map((t) => t.data).join("");
}

// What stands in the body between two blocks: line breaks and the next block's list marker.
function separator(previous, next) {
  const gap = Number(next.dataset.start) - (Number(previous.dataset.start) + codePoints(blockText(previous)));
  let marker = "";
  if (next.tagName === "LI") {
    marker = next.parentElement.tagName === "OL" ? `${next.getAttribute("value")}. ` : "- ";
  }
  const breaks = Math.max(gap - codePoints(marker), 0);
  return "\n".repeat(breaks) + marker;
}

// The anchor {start, end, quote} of a DOM range inside one section body, or null.
export function rangeToAnchor(body, range) {
  const startBlock = blockOf(range.startContainer);
  const endBlock = blockOf(range.endContainer);
  if (!startBlock || !endBlock || !body.contains(startBlock) || !body.contains(endBlock)) return null;
  const start = pointToOffset(startBlock, range.startContainer, range.startOffset);
  const end = pointToOffset(endBlock, range.endContainer, range.endOffset);
  if (end <= start) return null;
  const blocks = Array.from(body.querySelectorAll(".block[data-start]"));
  const from = blocks.indexOf(startBlock);
  const to = blocks.indexOf(endBlock);
  let text = "";
  for (let i = from; i <= to; i += 1) {
    if (i > from) text += separator(blocks[i - 1], blocks[i]);
    text += blockText(blocks[i]);
  }
  const chars = Array.from(text);
  const first = Number(startBlock.dataset.start);
  let lo = start - first;
  let hi = end - first;
  // Leave out white space at either edge of the selection (a double click or a
  // keyboard selection by words often takes a space along).
  while (lo < hi && /\s/u.test(chars[lo])) lo += 1;
  while (hi > lo && /\s/u.test(chars[hi - 1])) hi -= 1;
  if (hi <= lo) return null;
  return { start: first + lo, end: first + hi, quote: chars.slice(lo, hi).join("") };
}
