// Inline feedback: select text (mouse, touch or keyboard) -> "Kommentieren" /
// "Änderung vorschlagen" -> a form posting to the same endpoint as the no-JS form (by
// script, so that a refusal shows in place and the selection stays).
import { attachLiveDiff } from "./live-diff.js";
import { rangeToAnchor, textNodes } from "./offsets.js";

const article = document.querySelector(".document[data-can-annotate]");
const toolbar = document.getElementById("annotate-toolbar");
const template = document.getElementById("annotate-form-template");
const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
let current = null; // {body, section, anchor, range}

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
  current = { body, section: body.closest(".doc-section"), anchor, range: range.cloneRange() };
  showToolbar(body, range);
}

function livePreview(form, quote) {
  attachLiveDiff({
    textarea: form.elements.replacement,
    output: form.querySelector(".live-diff"),
    status: form.querySelector("[data-live-diff-status]"),
    quote,
    csrf,
  });
}

// The passage stays marked while its form is open (the selection itself goes when the
// focus moves into the form): a CSS Custom Highlight, which adds nothing to the text, so
// the offsets of offsets.js stay as they are (TEXT.md 1). Browsers without it show the
// quote in the form's heading only.
const HIGHLIGHT = "annotate-selection";

function highlight(range) {
  if (!window.CSS?.highlights || typeof Highlight !== "function") return;
  CSS.highlights.set(HIGHLIGHT, new Highlight(range));
}

function unhighlight() {
  if (window.CSS?.highlights) CSS.highlights.delete(HIGHLIGHT);
}

function shortQuote(quote, limit = 60) {
  const chars = Array.from(quote.replace(/\s+/gu, " ").trim());
  return chars.length <= limit ? chars.join("") : `${chars.slice(0, limit - 1).join("").trimEnd()}…`;
}

function closeForm(form) {
  form.remove();
  unhighlight();
}

// Errors at their fields (or above the buttons), the field described by its error and
// focused; the form, its text and the marked passage stay.
function clearErrors(form) {
  form.querySelectorAll(".field-error[data-for]").forEach((el) => el.remove());
  form.querySelectorAll("[aria-invalid]").forEach((field) => {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-describedby");
  });
  form.querySelector(".annotate-error").textContent = "";
}

function showErrors(form, errors) {
  let first = null;
  const general = [];
  for (const [name, message] of Object.entries(errors)) {
    const field = name ? form.elements[name] : null;
    if (!(field instanceof HTMLTextAreaElement)) {
      general.push(message);
      continue;
    }
    const error = document.createElement("p");
    error.className = "field-error";
    error.id = `annotate-${name}-error`;
    error.dataset.for = name;
    error.textContent = message;
    field.closest(".field").append(error);
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", error.id);
    first ||= field;
  }
  form.querySelector(".annotate-error").textContent = general.join(" ");
  if (first) first.focus();
}

function checkLocally(form, kind, quote) {
  if (kind === "comment" && !form.elements.body.value.trim()) {
    return { body: form.dataset.emptyComment };
  }
  if (kind === "suggestion" && form.elements.replacement.value === quote) {
    return { replacement: form.dataset.noChange };
  }
  return null;
}

// Sent by script, answered with JSON (consult/web/feedback.py): a refusal shows here; a
// saved item takes the page to its thread (#fb-<id>), where rail.js focuses it.
async function send(form, kind, quote) {
  if (form.dataset.sending) return;
  clearErrors(form);
  const problem = checkLocally(form, kind, quote);
  if (problem) {
    showErrors(form, problem);
    return;
  }
  form.dataset.sending = "1";
  let response;
  try {
    response = await fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrf },
      body: new FormData(form),
    });
  } catch (_error) {
    delete form.dataset.sending;
    showErrors(form, { "": form.dataset.failed });
    return;
  }
  if (!(response.headers.get("Content-Type") || "").includes("application/json")) {
    HTMLFormElement.prototype.submit.call(form); // the server's own page says what is wrong
    return;
  }
  const answer = await response.json();
  if (response.ok && answer.location) {
    const target = new URL(answer.location, window.location.href);
    if (target.pathname === window.location.pathname && target.search === window.location.search) {
      window.history.replaceState(null, "", target); // only the fragment differs: load anew
      window.location.reload();
    } else {
      window.location.assign(target);
    }
    return;
  }
  delete form.dataset.sending;
  const error = answer.error || {};
  const fields = { ...(error.fields || {}) };
  if (!Object.keys(fields).some((name) => form.elements[name] instanceof HTMLTextAreaElement)) {
    fields[""] = error.message || form.dataset.failed;
  }
  showErrors(form, fields);
}

function openForm(kind) {
  // Read the live selection: the last selectionchange may still wait for its frame
  // (a busy page), and the form must quote what is selected now.
  onSelection();
  if (!current) return;
  document.querySelectorAll(".annotate-form").forEach(closeForm);
  const { body, section, anchor, range } = current;
  const form = template.content.firstElementChild.cloneNode(true);
  const revision = article.dataset.revisionId;
  form.action = `/revisions/${revision}/sections/${section.dataset.sectionId}/feedback`;
  form.elements.kind.value = kind;
  form.elements.start.value = anchor.start;
  form.elements.end.value = anchor.end;
  form.elements.selected.value = anchor.quote;
  const heading = form.querySelector(".annotate-heading");
  heading.textContent = heading.dataset[kind].replace("{quote}", shortQuote(anchor.quote));
  const level = Number((section.querySelector(".section-title")?.tagName || "H2").slice(1));
  heading.setAttribute("aria-level", String(Math.min(level + 1, 6)));
  form.classList.add(`is-${kind}`);
  form.querySelectorAll(kind === "comment" ? ".only-suggestion" : ".only-comment").forEach((el) => el.remove());
  form.querySelector("[data-cancel]").addEventListener("click", () => {
    closeForm(form);
    body.focus();
  });
  form.addEventListener("keydown", (event) => {
    if (event.key === "Escape") form.querySelector("[data-cancel]").click();
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(form, kind, anchor.quote);
  });
  section.querySelector(".section-main").append(form);
  highlight(range);
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
  // Selecting text works now: say so instead of the hint for pages without JavaScript.
  document.querySelectorAll('[data-annotate-hint="select"]').forEach((hint) => {
    hint.hidden = false;
  });
  document.querySelectorAll('[data-annotate-hint="plain"]').forEach((hint) => {
    hint.hidden = true;
  });
  document.addEventListener("selectionchange", () => window.requestAnimationFrame(onSelection));
  article.querySelectorAll(".section-body[tabindex]").forEach((body) => body.addEventListener("keydown", onKeydown));
  toolbar.querySelectorAll("button[data-kind]").forEach((button) => {
    button.addEventListener("mousedown", (event) => event.preventDefault()); // keep the selection
    button.addEventListener("click", () => openForm(button.dataset.kind));
  });
}
