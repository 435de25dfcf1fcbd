// Why did this change? On hover and focus, a change's reference ("Grund 1") shows its
// cause in a popover, taken from the list under the section that the reference links to
// (which works without JavaScript). WCAG 1.4.13: the popover can be hovered, stays until
// the pointer or focus leaves, and Escape closes it. Hovering a cause in the list marks
// its changes in the text.
const popover = document.createElement("div");
popover.className = "why-popover";
popover.id = "why-popover";
popover.setAttribute("role", "tooltip");
popover.hidden = true;
document.body.append(popover);

let owner = null;
let hideTimer = 0;

function causeOf(link) {
  const id = decodeURIComponent(link.hash.slice(1));
  return id ? document.getElementById(id) : null;
}

function show(link) {
  const cause = causeOf(link);
  if (!cause) return;
  window.clearTimeout(hideTimer);
  owner = link;
  // The text only: the popover holds nothing to focus (the list has the links).
  popover.textContent = cause.textContent.replace(/\s+/g, " ").trim();
  popover.hidden = false;
  const box = link.getBoundingClientRect();
  const width = Math.min(popover.offsetWidth, document.documentElement.clientWidth - 16);
  const left = Math.max(8, Math.min(box.left + window.scrollX, window.scrollX + document.documentElement.clientWidth - width - 8));
  popover.style.left = `${left}px`;
  popover.style.top = `${box.bottom + window.scrollY + 6}px`;
  link.setAttribute("aria-describedby", popover.id);
}

function hide() {
  if (owner) owner.removeAttribute("aria-describedby");
  owner = null;
  popover.hidden = true;
}

function hideSoon() {
  window.clearTimeout(hideTimer);
  hideTimer = window.setTimeout(hide, 200);
}

for (const link of document.querySelectorAll(".why-ref a")) {
  link.addEventListener("mouseenter", () => show(link));
  link.addEventListener("focus", () => show(link));
  link.addEventListener("mouseleave", hideSoon);
  link.addEventListener("blur", hideSoon);
}
popover.addEventListener("mouseenter", () => window.clearTimeout(hideTimer));
popover.addEventListener("mouseleave", hideSoon);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !popover.hidden) hide();
});

// A cause in the list marks the changes it made.
for (const item of document.querySelectorAll(".why-list li[id]")) {
  const changes = () => document.querySelectorAll(`[data-why~="${CSS.escape(item.id)}"]`);
  const mark = (on) => changes().forEach((el) => el.classList.toggle("is-highlighted", on));
  item.addEventListener("mouseenter", () => mark(true));
  item.addEventListener("mouseleave", () => mark(false));
}
