// Keyboard navigation between changes in the diff views: Alt+N next, Alt+P previous
// (also Alt+J, Alt+K). The single letters "n"/"p" ("j"/"k") work only when the person
// switched the shortcuts on ("Tastenkürzel", kept in localStorage): a single-letter
// shortcut fires on speech input and on screen readers' browse-mode letters (WCAG 2.1.4).
const STORAGE_KEY = "consult.diff-shortcuts";
const changes = Array.from(document.querySelectorAll("[data-change]"));
const control = document.querySelector("[data-shortcuts]");
const toggle = control?.querySelector("input[type=checkbox]");
let current = -1;

function stored() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) === "on";
  } catch (_error) {
    return false; // storage refused (privacy settings): off
  }
}

function store(on) {
  try {
    if (on) window.localStorage.setItem(STORAGE_KEY, "on");
    else window.localStorage.removeItem(STORAGE_KEY);
  } catch (_error) {
    // not kept beyond this page
  }
}

let lettersOn = stored();

function isTyping(target) {
  return target instanceof HTMLElement &&
    (target.isContentEditable || ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName));
}

function go(index) {
  if (!changes.length) return;
  current = Math.max(0, Math.min(changes.length - 1, index));
  const el = changes[current];
  el.scrollIntoView({ block: "center" });
  el.focus({ preventScroll: true });
  history.replaceState(null, "", `#${el.id}`);
}

// Alt + the key by its position (event.code): on macOS Option+N types "˜", not "n".
const WITH_ALT = { KeyN: 1, KeyJ: 1, KeyP: -1, KeyK: -1 };
const LETTERS = { n: 1, j: 1, p: -1, k: -1 };

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || isTyping(event.target)) return;
  let step = 0;
  if (event.altKey) step = event.shiftKey ? 0 : WITH_ALT[event.code] || 0;
  else if (lettersOn && !event.shiftKey) step = LETTERS[event.key] || 0;
  if (!step || !changes.length) return;
  go(current + step);
  event.preventDefault();
});

if (control && toggle && changes.length) {
  toggle.checked = lettersOn;
  toggle.addEventListener("change", () => {
    lettersOn = toggle.checked;
    store(lettersOn);
  });
  control.hidden = false;
}

const hash = window.location.hash.match(/^#change-(\d+)$/);
if (hash) current = Number(hash[1]);
