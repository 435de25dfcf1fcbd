// The editors' workspace (decision page, overview): response snippets inserted with one
// click, and the live diff of the editor's own text for "geändert annehmen". Without
// JavaScript the pages work with a snippet select and a server-rendered diff.
import { attachLiveDiff } from "./live-diff.js";

const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";

// Puts `text` where the caret was in the text area (after a blank line when there is
// text before it), or at its end when it was never focused.
function insertText(textarea, text) {
  const { value } = textarea;
  const touched = textarea.dataset.touched === "1";
  const start = touched ? textarea.selectionStart : value.length;
  const end = touched ? textarea.selectionEnd : value.length;
  const before = value.slice(0, start).replace(/\s+$/u, "");
  const after = value.slice(end);
  const joined = before ? `${before}\n\n${text}` : text;
  textarea.value = joined + after;
  textarea.focus();
  textarea.setSelectionRange(joined.length, joined.length);
  textarea.dispatchEvent(new Event("input", { bubbles: true }));
}

for (const picker of document.querySelectorAll("[data-snippets]")) {
  const form = picker.closest("form");
  const target = form.elements.response;
  const used = form.elements.snippet_id;
  const status = picker.querySelector("[data-snippet-status]");
  for (const event of ["focus", "select", "keyup", "click"]) {
    target.addEventListener(event, () => { target.dataset.touched = "1"; });
  }
  picker.hidden = false;
  form.querySelectorAll("[data-no-js-snippets]").forEach((element) => { element.hidden = true; });
  picker.querySelectorAll("button[data-snippet-id]").forEach((button) => {
    button.addEventListener("click", () => {
      insertText(target, button.dataset.snippetBody);
      if (used) used.value = button.dataset.snippetId;
      if (status) status.textContent = picker.dataset.inserted;
    });
  });
}

// "geändert annehmen": the editor's text against what it replaces, as they type; the
// field is shown while that decision is chosen.
const part = document.querySelector("[data-replacement-part]");
if (part) {
  const form = part.closest("form");
  const output = part.querySelector(".live-diff");
  attachLiveDiff({
    textarea: form.elements.replacement,
    output,
    status: part.querySelector("[data-live-diff-status]"),
    quote: output.dataset.quote,
    csrf,
  });
  const radios = form.querySelectorAll('input[name="decision"]');
  const show = () => {
    const chosen = Array.from(radios).find((radio) => radio.checked);
    const wanted = chosen?.value === "accept_modified" || part.querySelector(".field-error");
    part.hidden = !wanted;
  };
  radios.forEach((radio) => radio.addEventListener("change", show));
  show();
}
