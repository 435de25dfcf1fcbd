// The side rail: link highlights and threads both ways, align threads with their text,
// and focus the thread a page was opened at (#fb-<id>).
//
// Built for long drafts with thousands of threads: highlights are indexed once per
// alignment (not searched per thread), and the layout is read in one pass and written
// in one pass. Reading a position after each write made the browser lay out the whole
// page per thread: 2,000 threads took half a minute.
const article = document.querySelector(".document");
const GAP = 8; // px between threads: the stylesheet's .thread margin-bottom
let marksById = new Map();

function indexMarks() {
  marksById = new Map();
  article.querySelectorAll("mark[data-fb], del[data-fb], ins[data-fb]").forEach((el) => {
    for (const id of el.dataset.fb.split(" ")) {
      if (!marksById.has(id)) marksById.set(id, []);
      marksById.get(id).push(el);
    }
  });
}

function threadsFor(mark) {
  return (mark.dataset.fb || "").split(" ").map((id) => document.getElementById(`fb-${id}`)).filter(Boolean);
}

function marksFor(thread) {
  return marksById.get(thread.dataset.fb) || [];
}

function setActive(elements, on) {
  elements.forEach((el) => el.classList.toggle("is-active", on));
}

function align() {
  indexMarks();
  const wide = window.matchMedia("(min-width: 70rem)").matches;
  const rails = Array.from(article.querySelectorAll(".doc-section .rail"));
  const threads = rails.map((rail) => Array.from(rail.querySelectorAll(".thread")));
  // Write: every thread back at its natural place.
  threads.flat().forEach((thread) => {
    thread.style.marginTop = "";
  });
  if (!wide) return;
  // Read: where each thread's text stands (relative to its rail, which the other
  // sections' rails do not change) and how tall each thread is.
  const plans = rails.map((rail, i) => {
    const railTop = rail.getBoundingClientRect().top;
    return threads[i].map((thread) => {
      const mark = marksFor(thread)[0];
      return {
        thread,
        desired: mark ? mark.getBoundingClientRect().top - railTop : null,
        height: thread.getBoundingClientRect().height,
      };
    });
  });
  // Write: push each thread down to its text, never over the one before.
  plans.forEach((plan) => {
    let bottom = 0;
    plan.forEach(({ thread, desired, height }) => {
      const top = Math.max(desired ?? bottom, bottom);
      thread.style.marginTop = `${Math.max(top - bottom, 0)}px`;
      bottom = top + height + GAP;
    });
  });
}

if (article) {
  article.addEventListener("click", (event) => {
    const mark = event.target.closest("mark[data-fb], del[data-fb], ins[data-fb]");
    if (!mark || window.getSelection()?.toString()) return;
    const thread = threadsFor(mark)[0];
    if (thread) {
      thread.setAttribute("tabindex", "-1");
      thread.focus();
    }
  });
  for (const type of ["mouseover", "focusin"]) {
    article.addEventListener(type, (event) => {
      const thread = event.target.closest(".thread");
      const mark = event.target.closest("mark[data-fb], del[data-fb], ins[data-fb]");
      document.querySelectorAll(".is-active").forEach((el) => el.classList.remove("is-active"));
      if (thread) setActive([thread, ...marksFor(thread)], true);
      else if (mark) setActive([mark, ...threadsFor(mark)], true);
    });
  }
  let pending = false;
  const realign = () => {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(() => {
      pending = false;
      align();
    });
  };
  window.addEventListener("resize", realign);
  window.addEventListener("load", realign);
  // An opened reply form (reply.js) or box makes its thread taller: the threads
  // below move with it.
  article.addEventListener("toggle", realign, true);
  article.addEventListener("consult:layout", realign);
  align();
  // After the browser's own move to the fragment (which puts the focus on the page when
  // the target cannot take it): once the page has loaded.
  const focusSoon = () => window.setTimeout(focusLinkedThread, 0);
  if (document.readyState === "complete") focusSoon();
  else window.addEventListener("load", focusSoon, { once: true });
}

// After a save (a comment, a reply, a withdrawal ...) the page comes back at #fb-<id>:
// the focus goes to that thread's heading, where keyboard and screen-reader users find
// what they just did, and the page's polite live region says what happened (a message
// that is there when the page loads is not announced).
function focusLinkedThread() {
  const match = window.location.hash.match(/^#fb-(\d+)$/);
  const heading = match && document.getElementById(`fbh-${match[1]}`);
  if (!heading) return;
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
  heading.closest(".thread")?.scrollIntoView({ block: "center" });
  const status = document.getElementById("reading-status");
  const message = document.querySelector(".flashes .flash-success");
  if (status && message) {
    window.setTimeout(() => {
      status.textContent = message.textContent.trim();
    }, 250);
  }
}
