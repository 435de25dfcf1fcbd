// Inline feedback: select text (mouse, touch or keyboard) -> "Kommentieren" /
// "Änderung vorschlagen" -> a form posting to the same endpoint as the no-JS form.
import { rangeToAnchor, textNodes } from "./offsets.js";

const article = document.querySelector(".document[data-can-annotate]");
const toolbar = document.getElementById("annotate-toolbar");
const template = document.getElementById("annotate-form-template");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
let current = null; // {body, section, anchor}

function sectionBodyOf(node) {
  const el = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
  return el ? el.closest(".section-body") : null;
}

function hideToolbar() {
  toolbar.hidden = true;
}

function showToolbar(body, range) {
  const main = body.closest(".section-main");
  // Moving a focused element drops its focus: only move the toolbar when it must.
  if (body.nextElementSibling !== toolbar) body.after(toolbar);
  toolbar.hidden = false;
  const rect = range.getBoundingClientRect();
  const host = main.getBoundingClientRect();
  toolbar.style.top = `${Math.max(rect.bottom - host.top + 6, 0)}px`;
  toolbar.style.left = `${Math.max(Math.min(rect.left - host.left, host.width - 260), 0)}px`;
}

function onSelection() {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) {
    if (!toolbar.contains(document.activeElement)) hideToolbar();
    return;
  }
  const range = selection.getRangeAt(0);
  const body = sectionBodyOf(range.commonAncestorContainer) ||
    (sectionBodyOf(range.startContainer) === sectionBodyOf(range.endContainer) ? sectionBodyOf(range.startContainer) : null);
  if (!body || !article.contains(body)) {
    hideToolbar();
    return;
  }
  const anchor = rangeToAnchor(body, range);
  if (!anchor) {
    hideToolbar();
    return;
  }
  current = { body, section: body.closest(".doc-section"), anchor };
  showToolbar(body, range);
}

function renderOps(target, ops) {
  target.replaceChildren();
  for (const [kind, text] of ops) {
    const node = kind === "equal" ? document.createTextNode(text) : document.createElement(kind === "insert" ? "ins" : "del");
    if (kind !== "equal") node.textContent = text;
    target.append(node);
  }
}

let previewTimer = 0;
function livePreview(form, quote) {
  const replacement = form.elements.replacement;
  const out = form.querySelector(".live-diff");
  const update = async () => {
    try {
      const response = await fetch("/api/v1/diff-preview", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ old: quote, new: replacement.value }),
      });
      if (response.ok) renderOps(out, (await response.json()).ops);
    } catch (_error) {
      out.textContent = "";
    }
  };
  replacement.addEventListener("input", () => {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(update, 200);
  });
  update();
}

function openForm(kind) {
  // Read the live selection: the last selectionchange may still wait for its frame
  // (a busy page), and the form must quote what is selected now.
  onSelection();
  if (!current) return;
  document.querySelectorAll(".annotate-form").forEach((f) => f.remove());
  const { section, anchor } = current;
  const form = template.content.firstElementChild.cloneNode(true);
  const revision = article.dataset.revisionId;
  form.action = `/revisions/${revision}/sections/${section.dataset.sectionId}/feedback`;
  form.elements.kind.value = kind;
  form.elements.start.value = anchor.start;
  form.elements.end.value = anchor.end;
  form.elements.selected.value = anchor.quote;
  form.querySelector(".annotate-quote").textContent = `„${anchor.quote}“`;
  form.classList.add(`is-${kind}`);
  form.querySelectorAll(kind === "comment" ? ".only-suggestion" : ".only-comment").forEach((el) => el.remove());
  form.querySelector("[data-cancel]").addEventListener("click", () => {
    form.remove();
    current.body.focus();
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") form.querySelector("[data-cancel]").click();
  });
  section.querySelector(".section-main").append(form);
  hideToolbar();
  if (kind === "suggestion") {
    form.elements.replacement.value = anchor.quote;
    livePreview(form, anchor.quote);
    form.elements.replacement.focus();
  } else {
    form.elements.body.focus();
  }
}

// Keyboard selection: focus a section's text, then Shift+arrows select (Ctrl: by word),
// plain arrows move the caret, Enter opens the comment form for the selection.
function onKeydown(event) {
  const body = event.currentTarget;
  const selection = window.getSelection();
  const arrows = { ArrowRight: "forward", ArrowLeft: "backward", ArrowDown: "forward", ArrowUp: "backward" };
  if (event.key === "Enter" && current && current.body === body && !selection.isCollapsed) {
    openForm("comment");
    event.preventDefault();
    return;
  }
  if (!(event.key in arrows) || !selection || typeof selection.modify !== "function") return;
  if (!selection.rangeCount || !body.contains(selection.anchorNode)) {
    const first = textNodes(body)[0];
    if (!first) return;
    selection.collapse(first, 0);
  }
  const granularity = event.key === "ArrowUp" || event.key === "ArrowDown" ? "line" : event.ctrlKey || event.altKey ? "word" : "character";
  selection.modify(event.shiftKey ? "extend" : "move", arrows[event.key], granularity);
  event.preventDefault();
}

if (article && toolbar && template) {
  document.addEventListener("selectionchange", () => window.requestAnimationFrame(onSelection));
  article.querySelectorAll(".section-body[tabindex]").forEach((body) => body.addEventListener("keydown", onKeydown));
  toolbar.querySelectorAll("button[data-kind]").forEach((button) => {
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
    button.addEventListener("click", () => openForm(button.dataset.kind));
  });
}
