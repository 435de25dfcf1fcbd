// Keyboard navigation between changes in the diff views: "n" next, "p" previous.
const changes = Array.from(document.querySelectorAll("[data-change]"));
let current = -1;

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

document.addEventListener("keydown", (event) => {
  if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
  if (event.key === "n" || event.key === "j") {
    go(current + 1);
    event.preventDefault();
  } else if (event.key === "p" || event.key === "k") {
    go(current - 1);
    event.preventDefault();
  }
});

const hash = window.location.hash.match(/^#change-(\d+)$/);
if (hash) current = Number(hash[1]);
