// The live word diff of a replacement being typed (a suggestion in the reading view, an
// editor's own text on a decision page): the server diffs (/api/v1/diff-preview, the same
// word diff as everywhere), the page shows <del>/<ins> and tells screen readers the
// changes once typing pauses.

// The word diff as <del>/<ins>, each with hidden words for screen readers at its edges
// (the labels come from the template: data-ins-start etc., in the interface language).
function hiddenLabel(text) {
  const span = document.createElement("span");
  span.className = "visually-hidden change-label";
  span.textContent = text;
  return span;
}

export function renderOps(target, ops) {
  const labels = target.dataset;
  target.replaceChildren();
  for (const [kind, text] of ops) {
    if (kind === "equal") {
      target.append(document.createTextNode(text));
      continue;
    }
    const inserted = kind === "insert";
    const node = document.createElement(inserted ? "ins" : "del");
    node.append(
      hiddenLabel(`${inserted ? labels.insStart : labels.delStart} `),
      text,
      hiddenLabel(` ${inserted ? labels.insEnd : labels.delEnd}`),
    );
    target.append(node);
  }
}

// What a screen reader hears of the preview: only the changes ("gestrichen: jährlich
// (Ende der Streichung) eingefügt: halbjährlich ..."), once typing has paused, and only
// when they differ from what it heard last; the preview itself updates as one types.
function changesSpoken(target, ops) {
  const labels = target.dataset;
  const parts = ops
    .filter(([kind]) => kind !== "equal")
    .map(([kind, text]) => (kind === "insert"
      ? `${labels.insStart} ${text} ${labels.insEnd}`
      : `${labels.delStart} ${text} ${labels.delEnd}`));
  return parts.length ? parts.join(" ") : labels.unchanged;
}

const PREVIEW_AFTER = 200; // ms after the last keystroke: the visible preview
const ANNOUNCE_AFTER = 1500; // ms after the last keystroke: the announcement

// Keeps `output` showing the diff of `quote` to what `textarea` holds, and `status` (a
// polite live region, optional) saying the changes after a pause.
export function attachLiveDiff({ textarea, output, status, quote, csrf }) {
  let previewTimer = 0;
  let announceTimer = 0;
  let requests = 0;
  let due = false; // typing paused long enough to speak
  let spoken = changesSpoken(output, [["equal", quote]]); // as if unchanged
  let latest = spoken;
  const announce = () => {
    if (!due || !status || latest === spoken) return;
    spoken = latest;
    status.textContent = spoken;
  };
  const update = async () => {
    const request = ++requests;
    try {
      const response = await fetch("/api/v1/diff-preview", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ old: quote, new: textarea.value }),
      });
      if (!response.ok || request !== requests) return;
      const { ops } = await response.json();
      if (request !== requests) return; // a newer preview is on its way
      renderOps(output, ops);
      latest = changesSpoken(output, ops);
      announce();
    } catch (_error) {
      output.textContent = "";
    }
  };
  const schedule = () => {
    due = false;
    clearTimeout(previewTimer);
    clearTimeout(announceTimer);
    previewTimer = setTimeout(update, PREVIEW_AFTER);
    announceTimer = setTimeout(() => {
      due = true;
      announce();
    }, ANNOUNCE_AFTER);
  };
  textarea.addEventListener("input", schedule);
  update();
  return { refresh: schedule };
}
